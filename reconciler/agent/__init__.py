"""``reconciler agent``: keep many workspaces reconciled, share them between replicas, serve metrics.

* :mod:`.options`: what the agent is told, and the specs it keeps (one workspace each);
* :mod:`.cycle`: one cycle of one workspace (plan, apply if allowed, resume, record the run);
* :mod:`.claims`: who works on a workspace now (PostgreSQL advisory locks; a local ``flock``);
* :mod:`.approval`: ``reconciler approve PLANFILE`` and what ``--apply approved`` waits for;
* :mod:`.metrics`: ``/metrics`` (prometheus-client);
* :mod:`.server`: ``/metrics``, ``/healthz``, ``/readyz`` and the status page at ``/``;
* :mod:`.runner`: the scheduler, its signals and its shutdown.
"""

from reconciler.agent.options import APPLY_MODES, AgentOptions, ApplyMode
from reconciler.agent.runner import Agent, Timing

__all__ = ["APPLY_MODES", "Agent", "AgentOptions", "ApplyMode", "Timing"]
