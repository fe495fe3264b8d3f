//! Who made a change: the operating-system user the desk saw (its own process's, or a client's
//! peer credentials on the desk socket), and which operators each OS user may act as
//! (`[act_as]` in `config.toml`). The operator's name is typed; the OS user is not.

use std::collections::BTreeMap;

/// The name of the user with this uid, from the system's user database; `uid N` when it has
/// none (a container without that user, say).
pub fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(user)) => user.name,
        _ => format!("uid {uid}"),
    }
}

/// This process's own user, by name.
pub fn own_user() -> String {
    user_name(crate::store::private::my_uid())
}

/// Which operators each OS user may act as. Empty (no `[act_as]`): any OS user may act as any
/// operator, as before it could be said; otherwise an OS user not listed may act as nobody.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActAs(BTreeMap<String, Vec<String>>);

/// In an OS user's list, any operator.
pub const ANY_OPERATOR: &str = "*";

impl ActAs {
    pub fn new(map: BTreeMap<String, Vec<String>>) -> ActAs {
        ActAs(map)
    }

    /// Whether `os_user` may act as `operator`, and why not in one line.
    pub fn check(&self, os_user: &str, operator: &str) -> Result<(), String> {
        if self.0.is_empty() {
            return Ok(());
        }
        let Some(allowed) = self.0.get(os_user) else {
            return Err(format!(
                "OS user {os_user} may not act as any operator on this desk ([act_as] in its \
                 config.toml does not list {os_user}); nothing was done"
            ));
        };
        if allowed.iter().any(|o| o == operator || o == ANY_OPERATOR) {
            return Ok(());
        }
        Err(format!(
            "OS user {os_user} may not act as operator '{operator}' on this desk (its \
             config.toml [act_as] lets {os_user} act as {}); nothing was done",
            allowed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act_as(pairs: &[(&str, &[&str])]) -> ActAs {
        ActAs::new(
            pairs
                .iter()
                .map(|(u, ops)| {
                    (
                        (*u).to_owned(),
                        ops.iter().map(|o| (*o).to_owned()).collect(),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn without_a_list_anyone_acts_as_anyone() {
        assert!(ActAs::default().check("mallory", "okafor").is_ok());
    }

    #[test]
    fn a_listed_user_acts_only_as_their_operators() {
        let map = act_as(&[("jo", &["okafor"]), ("sam", &["*"])]);
        assert!(map.check("jo", "okafor").is_ok());
        assert!(map.check("sam", "anyone").is_ok());
        let why = map.check("jo", "reyes").unwrap_err();
        assert!(why.contains("may not act as operator 'reyes'"), "{why}");
        assert!(!why.contains('\n'));
        let why = map.check("mallory", "okafor").unwrap_err();
        assert!(
            why.contains("OS user mallory may not act as any operator"),
            "{why}"
        );
    }

    #[test]
    fn a_uid_without_a_name_is_named_by_number() {
        assert_eq!(user_name(0), "root");
        assert_eq!(user_name(3_999_999_999), "uid 3999999999");
    }
}
