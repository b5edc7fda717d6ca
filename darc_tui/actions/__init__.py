"""Host-changing actions: the Envoy reload flow, its hot-restart wrapper, and the audit log.

plan = await prepare_reload(config, hosts)          # validate, diff, check; changes nothing
result = await apply_reload(plan, config, hosts)     # send, verify, append to the audit log
"""

from darc_tui.actions.audit import audit_path
from darc_tui.actions.plan import Outcome, ReloadPlan, ReloadResult
from darc_tui.actions.reload import apply_reload, cancel_reload, prepare_reload
from darc_tui.actions.target import Method

__all__ = [
    "Method",
    "Outcome",
    "ReloadPlan",
    "ReloadResult",
    "apply_reload",
    "audit_path",
    "cancel_reload",
    "prepare_reload",
]
