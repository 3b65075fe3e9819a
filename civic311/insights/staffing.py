"""How many agents a half hour needs: Erlang C, pure arithmetic (no database, no Django).

Written here rather than taken from PyPI: the formula is a dozen lines, the packages that offer it are
small one-person projects that pull in more than they give (or pandas), and these lines are checked in
tests against hand-computed and published values.

Erlang C models calls arriving at random (Poisson) to `agents` agents with exponential handle times, and
callers who wait rather than hang up. It overstates the agents a little when many callers abandon; the
standard tool of contact-centre planning all the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HALF_HOUR = 1800  # seconds
# Past this many agents the search stops: a target that needs more is not reachable by staffing.
MOST_AGENTS = 2000


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a call waits, with `agents` agents and `traffic` erlangs (calls per second times
    mean handle time in seconds). 1 when the agents cannot keep up (agents <= traffic)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    # Erlang B by its stable recursion, then C from B.
    blocked = 1.0
    for n in range(1, agents + 1):
        blocked = traffic * blocked / (n + traffic * blocked)
    return agents * blocked / (agents - traffic * (1 - blocked))


def service_level(agents: int, traffic: float, handle_seconds: float, answer_seconds: float) -> float:
    """The share of calls answered within `answer_seconds`."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(agents, traffic)
    return 1 - waits * math.exp(-(agents - traffic) * answer_seconds / handle_seconds)


@dataclass(frozen=True)
class Staffing:
    calls: float  # expected calls in the interval
    traffic: float  # erlangs
    agents: int  # on the phones, answering
    scheduled: int  # to schedule, with shrinkage
    service_level: float  # the share answered in time with `agents`
    occupancy: float  # the share of the agents' time spent on calls


def agents_needed(
    calls: float,
    handle_seconds: float,
    *,
    answered_share: float = 0.8,
    answer_seconds: float = 30,
    shrinkage: float = 0.3,
    interval_seconds: int = HALF_HOUR,
) -> Staffing:
    """The fewest agents that answer `answered_share` of `calls` (in an interval of `interval_seconds`)
    within `answer_seconds`, and how many to schedule so that, after `shrinkage`, that many are on the
    phones. No calls need no one."""
    if not 0 < answered_share < 1:
        raise ValueError("answered_share must be between 0 and 1")
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be at least 0 and below 1")
    if calls <= 0 or handle_seconds <= 0:
        return Staffing(max(calls, 0.0), 0.0, 0, 0, 1.0, 0.0)
    traffic = calls * handle_seconds / interval_seconds
    agents = max(1, math.floor(traffic) + 1)
    while service_level(agents, traffic, handle_seconds, answer_seconds) < answered_share:
        agents += 1
        if agents > MOST_AGENTS:
            raise ValueError("the target needs more agents than any centre has")
    return Staffing(
        calls=calls,
        traffic=traffic,
        agents=agents,
        scheduled=math.ceil(agents / (1 - shrinkage) - 1e-9),
        service_level=service_level(agents, traffic, handle_seconds, answer_seconds),
        occupancy=traffic / agents,
    )
