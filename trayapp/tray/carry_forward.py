"""What the tray shows after a fetch that read some projects, or none. Pure.

A failed read says nothing about the balance: an outage, a rate limit or a proxy's HTML page must
never look like an empty account (a red icon at $0 would be a false alarm). So:

- a fetch that read no project at all is a failed fetch: the last good snapshot stays on show,
  with the error, and goes stale on schedule;
- a project that could not be read this time keeps its last good balances, marked with the error,
  so the total does not drop by what could not be read. A project that is not found is gone (or
  out of this key's sight): its old amount is not carried.
"""

from __future__ import annotations

from trayapp.deepgram.models import BalanceSnapshot, ProjectBalances
from trayapp.errors import (
    ApiError,
    AuthError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)


def read_nothing(snapshot: BalanceSnapshot) -> bool:
    """Every watched project failed (and there was at least one)."""
    return bool(snapshot.projects) and all(p.error is not None for p in snapshot.projects)


def headline_error(errors: tuple[ApiError, ...]) -> ApiError:
    """The error to show for a fetch that read nothing: the one the user must act on first."""
    for blocking in (AuthError, PermissionDeniedError):
        for error in errors:
            if isinstance(error, blocking):
                return error
    rate_limits = [e for e in errors if isinstance(e, RateLimitedError)]
    if rate_limits:  # the longest wait asked for wins, so the schedule obeys every one
        return max(rate_limits, key=lambda e: e.retry_after or 0.0)
    return errors[0]


def carry_forward(new: BalanceSnapshot, previous: BalanceSnapshot | None) -> BalanceSnapshot:
    if previous is None or not new.errors:
        return new
    # A project read last time, or carried last time: carried again, however many reads fail.
    last_good = {p.project.project_id: p for p in previous.projects if p.balances}
    projects = []
    for project in new.projects:
        kept = last_good.get(project.project.project_id)
        gone = isinstance(project.error, NotFoundError)
        if project.error is not None and kept is not None and not gone:
            project = ProjectBalances(project.project, kept.balances, project.error)
        projects.append(project)
    return new._replace(projects=tuple(projects))
