"""Roles: who may see and export which levels, indicators and municipal datasets.

A municipality configures roles in an ``[access]`` section of
``.streamlit/secrets.toml``, or in a separate TOML file named by the
``STAPELKAART_ROLES`` environment variable (that file has the same ``[access]``
section). See ``docs/trust.md`` for a complete example. Parsing and filtering
are pure functions; only :func:`current_session` and :func:`require_role` touch
Streamlit.

With Streamlit's OIDC login configured (an ``[auth]`` section in the secrets),
a person's role follows from their e-mail address, its domain, or a group claim
of the identity provider. Without ``[auth]`` the app runs in local single-user
mode with the ``local_role`` (by default a built-in role that sees everything,
because the person at the keyboard holds the data already).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from cbs_ingest.columns import LEVELS
from cbs_ingest.errors import InputError

__all__ = [
    "ENV_VAR",
    "AccessConfig",
    "Role",
    "Session",
    "allowed_datasets",
    "current_session",
    "filter_indicators",
    "load_access_config",
    "parse_access_config",
    "require_role",
    "resolve_role",
]

#: Environment variable naming a roles TOML file.
ENV_VAR = "STAPELKAART_ROLES"
_ALL = "*"
#: Why a role looks at data: to see it in the app, or to download it.
Purpose = Literal["view", "export"]
_PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
_ROLE_KEYS = {
    "label",
    "levels",
    "indicators",
    "export_levels",
    "export_indicators",
    "datasets",
    "upload",
}
_ACCESS_KEYS = {
    "roles",
    "users",
    "domains",
    "groups",
    "default_role",
    "local_role",
    "groups_claim",
    "require_verified_email",
    "login_provider",
}


@dataclass(frozen=True)
class Role:
    """What one role may see and export.

    ``None`` for ``indicators``, ``export_indicators`` or ``datasets`` means all.
    """

    name: str
    label: str
    levels: frozenset[str]
    indicators: frozenset[str] | None
    export_levels: frozenset[str]
    export_indicators: frozenset[str] | None
    datasets: frozenset[str] | None
    upload: bool

    def may_see(
        self, *, level: str, indicator: str | None = None, purpose: Purpose = "view"
    ) -> bool:
        """Whether this role may see (or export) an indicator at a level."""
        levels, indicators = self._scope(purpose)
        return level in levels and (
            indicator is None or indicators is None or indicator in indicators
        )

    def _scope(self, purpose: Purpose) -> tuple[frozenset[str], frozenset[str] | None]:
        if purpose not in _PURPOSES:
            raise ValueError(f"purpose must be 'view' or 'export', got {purpose!r}")
        if purpose == "view":
            return self.levels, self.indicators
        return self.export_levels, self.export_indicators


#: The role of local single-user mode when the configuration names none.
LOCAL_ROLE = Role(
    "lokaal", "Lokaal gebruik", frozenset(LEVELS), None, frozenset(LEVELS), None, None, True
)


@dataclass(frozen=True)
class AccessConfig:
    """Parsed ``[access]`` configuration."""

    roles: dict[str, Role]
    users: dict[str, str]
    domains: dict[str, str]
    groups: dict[str, str]
    default_role: str | None
    local_role: str | None
    groups_claim: str
    require_verified_email: bool
    login_provider: str | None = None

    def local(self) -> Role:
        """The role used in local single-user mode."""
        return self.roles[self.local_role] if self.local_role else LOCAL_ROLE


@dataclass(frozen=True)
class Session:
    """Who is using the app and with which role.

    ``role`` is None when the person has no access (or must still log in);
    ``reason_nl`` then says why, in Dutch.
    """

    mode: str  # "local" or "oidc"
    logged_in: bool
    email: str | None
    role: Role | None
    reason_nl: str = ""


def _error(en: str, nl: str | None = None) -> InputError:
    return InputError(
        f"Bad roles configuration: {en}", nl=f"Fout in de rollenconfiguratie: {nl or en}"
    )


def _names(
    value: Any, *, where: str, allowed: Iterable[str] | None = None
) -> frozenset[str] | None:
    if value == _ALL:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _error(f'{where} must be a list of names or "*", got {value!r}')
    if not all(isinstance(v, str) and v for v in value):
        raise _error(f"{where} must contain only non-empty strings")
    names = frozenset(value)
    if allowed is not None:
        # gem_ names are the municipality's own datasets, known only once uploaded.
        unknown = sorted(n for n in names - set(allowed) if not n.startswith("gem_"))
        if unknown:
            raise _error(f"{where} has unknown name(s) {unknown}; choose from {sorted(allowed)}")
    return names


def _role(name: str, spec: Any, *, indicators: Iterable[str] | None) -> Role:
    if not isinstance(spec, Mapping):
        raise _error(f"role {name!r} must be a table")
    unknown = sorted(set(spec) - _ROLE_KEYS)
    if unknown:
        raise _error(f"role {name!r} has unknown key(s) {unknown}; known: {sorted(_ROLE_KEYS)}")
    if "levels" not in spec:
        raise _error(f"role {name!r} needs 'levels'")
    levels = _names(spec["levels"], where=f"roles.{name}.levels", allowed=LEVELS)
    levels = frozenset(LEVELS) if levels is None else levels
    view = _names(
        spec.get("indicators", _ALL), where=f"roles.{name}.indicators", allowed=indicators
    )
    export_levels = _names(
        spec.get("export_levels", []), where=f"roles.{name}.export_levels", allowed=LEVELS
    )
    export_levels = frozenset(LEVELS) if export_levels is None else export_levels
    export = _names(
        spec.get("export_indicators", []),
        where=f"roles.{name}.export_indicators",
        allowed=indicators,
    )
    if not export_levels <= levels:
        raise _error(
            f"role {name!r} may export levels it may not see: {sorted(export_levels - levels)}"
        )
    if view is not None and (export is None or not export <= view):
        raise _error(f"role {name!r} may export indicators it may not see")
    datasets = _names(spec.get("datasets", []), where=f"roles.{name}.datasets")
    upload = spec.get("upload", False)
    if not isinstance(upload, bool):
        raise _error(f"roles.{name}.upload must be true or false")
    label = spec.get("label", name)
    if not isinstance(label, str):
        raise _error(f"roles.{name}.label must be text")
    return Role(name, label, levels, view, export_levels, export, datasets, upload)


def parse_access_config(
    access: Mapping[str, Any], *, indicators: Iterable[str] | None = None
) -> AccessConfig:
    """Parse the ``[access]`` table of the configuration.

    Parameters
    ----------
    access
        The ``[access]`` table as a mapping (from TOML or ``st.secrets``).
    indicators
        Known indicator keys; when given, unknown names in a role are an error.

    Returns
    -------
    AccessConfig

    Raises
    ------
    InputError
        With an English and a Dutch message naming the bad entry.
    """
    if not isinstance(access, Mapping):
        raise _error("[access] must be a table")
    unknown = sorted(set(access) - _ACCESS_KEYS)
    if unknown:
        raise _error(f"[access] has unknown key(s) {unknown}; known: {sorted(_ACCESS_KEYS)}")
    known = None if indicators is None else set(indicators)
    raw_roles = access.get("roles", {})
    if not isinstance(raw_roles, Mapping) or not raw_roles:
        raise _error(
            "[access.roles] must define at least one role",
            "[access.roles] moet minstens één rol bevatten",
        )
    roles = {str(n): _role(str(n), spec, indicators=known) for n, spec in raw_roles.items()}

    def role_ref(value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in roles:
            raise _error(f"{where} refers to unknown role {value!r}; roles: {sorted(roles)}")
        return value

    def mapping(key: str, *, lower: bool) -> dict[str, str]:
        table = access.get(key, {})
        if not isinstance(table, Mapping):
            raise _error(f"[access.{key}] must be a table")
        return {
            (str(k).strip().lower() if lower else str(k)): role_ref(v, f"access.{key}.{k}")
            for k, v in table.items()
        }

    users = mapping("users", lower=True)
    domains = {k.lstrip("@"): v for k, v in mapping("domains", lower=True).items()}
    groups = mapping("groups", lower=False)
    default = access.get("default_role") or None
    local = access.get("local_role") or None
    claim = access.get("groups_claim", "groups")
    verified = access.get("require_verified_email", False)
    provider = access.get("login_provider") or None
    if not isinstance(claim, str) or not isinstance(verified, bool):
        raise _error("groups_claim must be text and require_verified_email true or false")
    if provider is not None and not isinstance(provider, str):
        raise _error("login_provider must be the name of an [auth.<provider>] section")
    return AccessConfig(
        roles=roles,
        users=users,
        domains=domains,
        groups=groups,
        default_role=None if default is None else role_ref(default, "access.default_role"),
        local_role=None if local is None else role_ref(local, "access.local_role"),
        groups_claim=claim,
        require_verified_email=verified,
        login_provider=provider,
    )


def load_access_config(
    *,
    secrets: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    indicators: Iterable[str] | None = None,
) -> AccessConfig | None:
    """Load the configuration from ``$STAPELKAART_ROLES`` or the secrets' ``[access]``.

    Returns None when neither exists (then everything runs in local mode with
    the built-in local role).

    Raises
    ------
    InputError
        When the file named by the environment variable is missing or not
        valid TOML, or the configuration is invalid.
    """
    environ = os.environ if environ is None else environ
    path = environ.get(ENV_VAR)
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise _error(
                f"cannot read {ENV_VAR} file {path!r}: {exc.strerror}",
                f"het bestand uit {ENV_VAR} ({path}) is niet te lezen",
            ) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise _error(
                f"{ENV_VAR} file {path!r} is not valid TOML: {exc}",
                f"het bestand uit {ENV_VAR} is geen geldige TOML: {exc}",
            ) from None
        if "access" not in data:
            raise _error(f"{ENV_VAR} file {path!r} has no [access] section")
        return parse_access_config(data["access"], indicators=indicators)
    try:
        has_access = secrets is not None and "access" in secrets
    except FileNotFoundError:  # st.secrets without any secrets.toml
        has_access = False
    if has_access and secrets is not None:
        return parse_access_config(_plain(secrets["access"]), indicators=indicators)
    return None


def _plain(value: Any) -> Any:
    """Turn Streamlit's AttrDict secrets into plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def resolve_role(config: AccessConfig | None, user: Mapping[str, Any] | None) -> Role | None:
    """Map a logged-in user's claims to a role.

    Order: exact e-mail address in ``[access.users]``, then the first role (in
    the order of ``[access.roles]``) reached by one of the user's groups, then
    the e-mail domain, then ``default_role``. None means no access, also when
    there is no configuration at all (a logged-in person needs a configured role).
    """
    if config is None or not user:
        return None
    email = str(user.get("email") or "").strip().lower()
    if config.require_verified_email and user.get("email_verified") is not True:
        email = ""
    if email and email in config.users:
        return config.roles[config.users[email]]
    claim = user.get(config.groups_claim) or []
    groups = {claim} if isinstance(claim, str) else {str(g) for g in claim}
    matched = {config.groups[g] for g in groups if g in config.groups}
    for name in config.roles:
        if name in matched:
            return config.roles[name]
    domain = email.rpartition("@")[2] if "@" in email else ""
    if domain and domain in config.domains:
        return config.roles[config.domains[domain]]
    return config.roles[config.default_role] if config.default_role else None


def filter_indicators(keys: Iterable[str], role: Role, *, purpose: Purpose = "view") -> list[str]:
    """The indicator keys a role may see (or export), in the given order."""
    _, allowed = role._scope(purpose)
    return [k for k in keys if allowed is None or k in allowed]


def allowed_datasets(names: Iterable[str], role: Role) -> list[str]:
    """The municipal datasets (uploads) a role may see, in the given order."""
    return [n for n in names if role.datasets is None or n in role.datasets]


def current_session(config: AccessConfig | None = None) -> Session:
    """Resolve the current person and role inside a running Streamlit app.

    Without an ``[auth]`` section in the secrets this is local single-user
    mode. With it, the person must be logged in (``st.login``), and their role
    follows from :func:`resolve_role`.
    """
    import streamlit as st

    try:
        has_auth = "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all
        has_auth = False
    if not has_auth:
        return Session("local", False, None, config.local() if config else LOCAL_ROLE)
    user = st.user.to_dict() if hasattr(st.user, "to_dict") else dict(st.user)
    if not user.get("is_logged_in"):
        return Session("oidc", False, None, None, "Log in om Stapelkaart te gebruiken.")
    given = user.get("email")
    email = given if isinstance(given, str) else None
    role = resolve_role(config, user)
    reason = (
        ""
        if role
        else (
            "U bent ingelogd, maar aan uw account is geen rol toegekend. Vraag de beheerder van "
            "Stapelkaart in uw gemeente om toegang."
        )
    )
    return Session("oidc", True, email, role, reason)


def require_role(config: AccessConfig | None = None) -> Role:
    """Return the current role, or show a Dutch login/no-access screen and stop the run."""
    import streamlit as st

    session = current_session(config)
    if session.role is not None:
        return session.role
    st.info(session.reason_nl)
    if session.mode == "oidc" and not session.logged_in:
        provider = config.login_provider if config else None
        st.button(
            "Inloggen", on_click=st.login, args=(provider,) if provider else (), type="primary"
        )
    elif session.logged_in:
        st.button("Uitloggen", on_click=st.logout)
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the script run")  # pragma: no cover
