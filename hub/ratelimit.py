"""Brute-force protection and rate limits for the anonymous entry points, counted in the cache.

Why not django-axes: its lockout parameters share one failure limit, so it cannot count failures per
(account, address) *and* per address with a higher threshold — the pair that lets the other people
of a shared office keep logging in while one account is being guessed; sign-up and password-reset
limits are outside its scope anyway, and it needs an authentication backend, a middleware and
tables of IP addresses. This module is the small part of it we need, for four entry points.

- Logins (page and API token): failures are counted per (normalised account, client address) and
  per address. After `LOGIN_MAX_FAILURES` failures for one account from one address, that pair is
  cooled off for `LOGIN_COOLOFF_MINUTES` (even the right password is refused until then); other
  accounts from the same address still log in. After `LOGIN_MAX_FAILURES_PER_IP` failures from one
  address, whatever the accounts, the address is cooled off. A success clears the pair's count.
- Sign-ups and password-reset requests: a plain count of attempts per address per hour (and per
  address asked for, for password resets, so nobody's inbox is flooded).

Counters live in fixed windows (`<key>:<window number>`): `cache.incr` is atomic on Redis and
locmem, and a window's key simply stops being read when time moves on. Cool-offs store their end
time in the value and compare it with `timezone.now()`, so expiry does not depend on the cache's
own clock (and tests can travel in time on any backend). An attempt is counted *before* the
password is checked, so a burst of parallel guesses cannot all pass the check at once.

The client address is REMOTE_ADDR unless `TRUSTED_PROXY_COUNT` reverse proxies are configured:
only then is X-Forwarded-For read, and only the entry the nearest trusted proxy appended.
IPv6 addresses are counted per /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import ngettext

KEY_PREFIX = "asso-hub:rl"
HOUR = 3600
# Reset emails one address may receive per hour, whoever asks.
PASSWORD_RESET_MAX_PER_EMAIL = 3


@dataclass(frozen=True)
class Lockout:
    """Refused until `until`: the pair (account, address), the whole address, or a rate limit."""

    until: datetime
    scope: str  # "account" | "address" | "rate"

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait, for the Retry-After header (at least 1)."""
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def message(self) -> str:
        """What to tell the person, with the local time to try again."""
        params = {"time": formats.time_format(timezone.localtime(self.until)), "minutes": self.minutes}
        if self.scope == "account":
            return (
                ngettext(
                    "Too many failed attempts to log in to this account from your connection. "
                    "Try again after %(time)s (in about %(minutes)d minute).",
                    "Too many failed attempts to log in to this account from your connection. "
                    "Try again after %(time)s (in about %(minutes)d minutes).",
                    self.minutes,
                )
                % params
            )
        if self.scope == "address":
            return (
                ngettext(
                    "Too many failed login attempts from your connection. "
                    "Try again after %(time)s (in about %(minutes)d minute).",
                    "Too many failed login attempts from your connection. "
                    "Try again after %(time)s (in about %(minutes)d minutes).",
                    self.minutes,
                )
                % params
            )
        return (
            ngettext(
                "Too many attempts from your connection. Try again after %(time)s (in about %(minutes)d minute).",
                "Too many attempts from your connection. Try again after %(time)s (in about %(minutes)d minutes).",
                self.minutes,
            )
            % params
        )


# Who is asking --------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with N trusted proxies the N-th address from the right
    of X-Forwarded-For (what the outermost trusted proxy saw). Never a value the client chose."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        # Fewer entries than proxies means a proxy did not add one: trust nothing rather than guess.
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return remote[:64] or "unknown"


def _address_bucket(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def normalise_account(identifier: str) -> str:
    """The account a login names, as it is stored: emails are lower-cased and trimmed."""
    return identifier.strip().lower()


def _digest(value: str) -> str:
    # Keys stay short and carry no address or email in clear (the cache may be shared).
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


# Counting -------------------------------------------------------------------------------------


def _now_ts() -> float:
    return timezone.now().timestamp()


def _count(key: str, window: int) -> int:
    """Add one to the counter of the current window and return it (atomic)."""
    window_key = f"{key}:{int(_now_ts() // window)}"
    cache.add(window_key, 0, timeout=window * 2)
    try:
        return cache.incr(window_key)
    except ValueError:  # evicted between add and incr
        cache.set(window_key, 1, timeout=window * 2)
        return 1


def _uncount(key: str, window: int) -> None:
    window_key = f"{key}:{int(_now_ts() // window)}"
    try:
        if (cache.get(window_key) or 0) > 0:
            cache.decr(window_key)
    except ValueError:
        pass


def _reset(key: str, window: int) -> None:
    cache.delete(f"{key}:{int(_now_ts() // window)}")


def _locked_until(key: str) -> datetime | None:
    until = cache.get(key)
    if until is None:
        return None
    moment = datetime.fromtimestamp(float(until), tz=timezone.get_current_timezone())
    return moment if moment > timezone.now() else None


def _lock(key: str, seconds: int) -> datetime:
    until = timezone.now() + timedelta(seconds=seconds)
    # The cache entry outlives the lock a little; expiry itself is decided by the stored time.
    cache.set(key, until.timestamp(), timeout=seconds + 60)
    return until


# Logins ---------------------------------------------------------------------------------------


def _cooloff() -> int:
    return settings.LOGIN_COOLOFF_MINUTES * 60


def _pair_key(account: str, ip: str) -> str:
    return f"{KEY_PREFIX}:login:pair:{_digest(normalise_account(account) + '|' + _address_bucket(ip))}"


def _ip_key(ip: str) -> str:
    return f"{KEY_PREFIX}:login:ip:{_digest(_address_bucket(ip))}"


def login_lockout(*, account: str, ip: str) -> Lockout | None:
    """The cool-off in force for this account from this address (or for the whole address), if any."""
    until = _locked_until(_pair_key(account, ip) + ":lock")
    if until is not None:
        return Lockout(until=until, scope="account")
    until = _locked_until(_ip_key(ip) + ":lock")
    if until is not None:
        return Lockout(until=until, scope="address")
    return None


def begin_login_attempt(*, account: str, ip: str) -> Lockout | None:
    """Call before checking a password: refuses (with the cool-off) when the pair or the address is
    cooled off, else counts the attempt as a failure until `login_succeeded` says otherwise."""
    lockout = login_lockout(account=account, ip=ip)
    if lockout is not None:
        return lockout
    window = _cooloff()
    pair_key, ip_key = _pair_key(account, ip), _ip_key(ip)
    pair_failures = _count(pair_key, window)
    ip_failures = _count(ip_key, window)
    # Parallel attempts beyond the limit are refused before their password is even checked.
    if pair_failures > settings.LOGIN_MAX_FAILURES:
        return Lockout(until=_lock(pair_key + ":lock", window), scope="account")
    if ip_failures > settings.LOGIN_MAX_FAILURES_PER_IP:
        return Lockout(until=_lock(ip_key + ":lock", window), scope="address")
    return None


def login_failed(*, account: str, ip: str) -> Lockout | None:
    """After a wrong password: the cool-off that starts now if this failure reached a limit."""
    window = _cooloff()
    pair_key, ip_key = _pair_key(account, ip), _ip_key(ip)
    pair_failures = cache.get(f"{pair_key}:{int(_now_ts() // window)}") or 0
    ip_failures = cache.get(f"{ip_key}:{int(_now_ts() // window)}") or 0
    if pair_failures >= settings.LOGIN_MAX_FAILURES:
        _reset(pair_key, window)
        return Lockout(until=_lock(pair_key + ":lock", window), scope="account")
    if ip_failures >= settings.LOGIN_MAX_FAILURES_PER_IP:
        _reset(ip_key, window)
        return Lockout(until=_lock(ip_key + ":lock", window), scope="address")
    return None


def login_succeeded(*, account: str, ip: str) -> None:
    """The attempt was right: it does not count as a failure, and the pair's count starts again."""
    window = _cooloff()
    _reset(_pair_key(account, ip), window)
    _uncount(_ip_key(ip), window)


# Plain rate limits ----------------------------------------------------------------------------


def hit(*, action: str, subject: str, limit: int, window: int = HOUR) -> Lockout | None:
    """Count one `action` by `subject` (an address, or an email for password resets); a Lockout
    until the end of the window once more than `limit` happened in it."""
    if limit <= 0:
        return None
    count = _count(f"{KEY_PREFIX}:{action}:{_digest(subject)}", window)
    if count <= limit:
        return None
    window_end = (int(_now_ts() // window) + 1) * window
    return Lockout(until=datetime.fromtimestamp(window_end, tz=timezone.get_current_timezone()), scope="rate")


def signup_attempt(request: HttpRequest) -> Lockout | None:
    """Count a sign-up form sent from this address (SIGNUP_MAX_PER_IP_PER_HOUR)."""
    return hit(action="signup", subject=_address_bucket(client_ip(request)), limit=settings.SIGNUP_MAX_PER_IP_PER_HOUR)


def password_reset_attempt(request: HttpRequest, email: str) -> tuple[Lockout | None, bool]:
    """Count a password-reset request: (lockout of the address, whether this email may get one more mail).

    The per-email limit is silent (the page says "sent" either way) so it does not tell whether
    an account exists, while keeping anyone's inbox from being flooded.
    """
    lockout = hit(
        action="reset-ip",
        subject=_address_bucket(client_ip(request)),
        limit=settings.PASSWORD_RESET_MAX_PER_IP_PER_HOUR,
    )
    if lockout is not None:
        return lockout, False
    email_ok = hit(action="reset-email", subject=normalise_account(email), limit=PASSWORD_RESET_MAX_PER_EMAIL) is None
    return None, email_ok
