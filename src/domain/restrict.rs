//! Restricted calls (`restrict`, `view`): a call about a staff member, a minor or a victim of
//! domestic violence shows its personal fields only to the operators it names, and to them only
//! once they open it, which the log records. Who an operator is comes from the desk's check of
//! the OS user behind it (`[act_as]`, docs/access.md), not from a name anyone can type.

use super::planning::{find_call, Refusal};
use super::{Call, Command, State};

/// Whether `operator` is one of those `call` is restricted to (any operator, when it is not
/// restricted).
pub fn names(call: &Call, operator: &str) -> bool {
    call.restricted
        .as_ref()
        .is_none_or(|names| names.iter().any(|n| n == operator))
}

/// What only a restricted call's own operators may do: change who may see it, or open it.
pub fn may_run(state: &State, command: &Command, operator: &str) -> Result<(), Refusal> {
    let (Command::Restrict { call, .. } | Command::View { call }) = command else {
        return Ok(());
    };
    let c = find_call(state, call)?;
    match &c.restricted {
        Some(names) if !names.iter().any(|n| n == operator) => Err(Refusal(format!(
            "{} is restricted to {}; operator {operator} may not {} it; nothing was done",
            c.id,
            names.join(", "),
            if matches!(command, Command::View { .. }) {
                "open"
            } else {
                "change who sees"
            }
        ))),
        _ => Ok(()),
    }
}
