//! The one list of commands. The CLI, the console, keymaps, scenarios, help and docs/commands.md
//! reference all read it.

use crate::domain::{CallType, Capability, Disposition, UnitStatus};

/// What a positional argument or option value is, so completion knows what to offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// An existing call (id, or the digits it ends with).
    Call,
    /// An existing unit's callsign.
    Unit,
    /// A new callsign.
    NewCallsign,
    Capabilities,
    CallType,
    Priority,
    Disposition,
    Agency,
    /// One of the fields `set` can change.
    Field,
    /// A triage question: its id or one-key shortcut.
    Question,
    /// An answer to the question before it.
    Answer,
    ResponseType,
    UnservedReason,
    /// Free text to the end of the line (or to the next option).
    Text,
    /// An open conflict alert, by id (`KQ-41`).
    Alert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: &'static str,
    /// `None` for a switch such as `--force`.
    pub value: Option<ArgKind>,
    pub doc: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// What a dispatcher types; `unit add` is two words, verb then object.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub doc: &'static str,
    /// Argument signature as shown in help, e.g. `<unit> <call> [--force]`.
    pub signature: &'static str,
    pub args: &'static [ArgKind],
    pub flags: &'static [Flag],
}

impl Spec {
    pub fn usage(&self) -> String {
        format!("{} {}", self.name, self.signature)
    }

    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }
}

const FORCE_DP: Flag = Flag {
    name: "force",
    value: None,
    doc: "take the unit off its current call",
};

const fn status(name: &'static str, aliases: &'static [&'static str], doc: &'static str) -> Spec {
    Spec {
        name,
        aliases,
        doc,
        signature: "<unit>",
        args: &[ArgKind::Unit],
        flags: &[],
    }
}

pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "call",
        aliases: &["new"],
        doc: "Take a new call; prints its id",
        signature: "<location> / <nature> [--type TYPE] [--pri 1-4] [--caller NAME] [--cb NUMBER] [--zone ZONE] [--at LAT,LON]",
        args: &[ArgKind::Text],
        flags: &[
            Flag {
                name: "type",
                value: Some(ArgKind::CallType),
                doc: "call type",
            },
            Flag {
                name: "pri",
                value: Some(ArgKind::Priority),
                doc: "priority, 1 most urgent",
            },
            Flag {
                name: "caller",
                value: Some(ArgKind::Text),
                doc: "caller's name",
            },
            Flag {
                name: "cb",
                value: Some(ArgKind::Text),
                doc: "callback number",
            },
            Flag {
                name: "zone",
                value: Some(ArgKind::Text),
                doc: "zone or district",
            },
            Flag {
                name: "at",
                value: Some(ArgKind::Text),
                doc: "coordinates as LAT,LON",
            },
        ],
    },
    Spec {
        name: "note",
        aliases: &["n"],
        doc: "Add a note to a call's narrative",
        signature: "<call> <text…> [--caution]",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[Flag {
            name: "caution",
            value: None,
            doc: "a caution for whoever goes to this address next",
        }],
    },
    Spec {
        name: "set",
        aliases: &[],
        doc: "Change a field of a call; a priority change needs --reason",
        signature: "<call> <loc|nature|type|pri|caller|cb|zone> <value…> [--reason TEXT]",
        args: &[ArgKind::Call, ArgKind::Field, ArgKind::Text],
        flags: &[Flag {
            name: "reason",
            value: Some(ArgKind::Text),
            doc: "why it changed (the chronology keeps it)",
        }],
    },
    Spec {
        name: "place",
        aliases: &[],
        doc: "Place an ambiguous call at one of its choices (a, b …, as its details list them)",
        signature: "<call> <choice>",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "unit add",
        aliases: &["ua"],
        doc: "Put a unit on the roster",
        signature: "<callsign> <capability>[,<capability>…] [--zone ZONE]",
        args: &[ArgKind::NewCallsign, ArgKind::Capabilities],
        flags: &[Flag {
            name: "zone",
            value: Some(ArgKind::Text),
            doc: "zone or district",
        }],
    },
    Spec {
        name: "dp",
        aliases: &["dispatch"],
        doc: "Dispatch a unit to a call",
        signature: "<unit> <call> [--force]",
        args: &[ArgKind::Unit, ArgKind::Call],
        flags: &[FORCE_DP],
    },
    Spec {
        name: "de",
        aliases: &["dispatch-enroute"],
        doc: "Dispatch a unit to a call, already en route",
        signature: "<unit> <call> [--force]",
        args: &[ArgKind::Unit, ArgKind::Call],
        flags: &[FORCE_DP],
    },
    status("enr", &["enroute"], "Unit en route"),
    status("ons", &["onscene"], "Unit on scene"),
    Spec {
        name: "trn",
        aliases: &["transport"],
        doc: "Unit transporting, with its destination",
        signature: "<unit> [destination…]",
        args: &[ArgKind::Unit, ArgKind::Text],
        flags: &[],
    },
    status("atf", &["atfacility"], "Unit at the facility"),
    status(
        "avl",
        &["clear", "available"],
        "Unit available (clears it from its call)",
    ),
    Spec {
        name: "oos",
        aliases: &["out"],
        doc: "Unit out of service, with a reason and when it is expected back",
        signature: "<unit> [reason…] [--back <N>m]",
        args: &[ArgKind::Unit, ArgKind::Text],
        flags: &[Flag {
            name: "back",
            value: Some(ArgKind::Text),
            doc: "minutes until it is expected back (30m): its timer alarms when they are up",
        }],
    },
    Spec {
        name: "disregard",
        aliases: &["cxl"],
        doc: "Tell a unit on its way to disregard its call: back to available, its times kept",
        signature: "<unit> [reason…]",
        args: &[ArgKind::Unit, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "correct",
        aliases: &[],
        doc: "Take back a mistaken status: the unit back at an earlier status of its call, with why",
        signature: "<unit> <dsp|enr|ons|trn|atf> <reason…>",
        args: &[ArgKind::Unit, ArgKind::Text, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "close",
        aliases: &["dispo"],
        doc: "Close a call with a disposition",
        signature: "<call> <disposition> [--force] [--unserved REASON]",
        args: &[ArgKind::Call, ArgKind::Disposition],
        flags: &[
            Flag {
                name: "force",
                value: None,
                doc: "clear units still on the call",
            },
            Flag {
                name: "unserved",
                value: Some(ArgKind::UnservedReason),
                doc: "why an eligible call got no community team",
            },
        ],
    },
    Spec {
        name: "reopen",
        aliases: &[],
        doc: "Reopen a closed call",
        signature: "<call>",
        args: &[ArgKind::Call],
        flags: &[],
    },
    Spec {
        name: "hold",
        aliases: &[],
        doc: "Put a pending call on hold for some minutes, with the reason; it alarms when they are up",
        signature: "<call> <N>m <reason…>",
        args: &[ArgKind::Call, ArgKind::Text, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "unhold",
        aliases: &[],
        doc: "Take a call off hold before its time",
        signature: "<call>",
        args: &[ArgKind::Call],
        flags: &[],
    },
    Spec {
        name: "erase",
        aliases: &[],
        doc: "Erase a closed call's personal fields on every node (its key is destroyed), or every closed call from one caller; the reason is kept",
        signature: "<call> --reason TEXT | --caller NAME|NUMBER --reason TEXT",
        args: &[ArgKind::Call],
        flags: &[
            Flag {
                name: "reason",
                value: Some(ArgKind::Text),
                doc: "why it is erased (a request, a retention schedule); no personal text",
            },
            Flag {
                name: "caller",
                value: Some(ArgKind::Text),
                doc: "instead of one call: every closed call with this caller name or callback number",
            },
        ],
    },
    Spec {
        name: "restrict",
        aliases: &[],
        doc: "Restrict a call's personal fields to the operators named (and you): a staff member, a minor, a victim",
        signature: "<call> <operator>…",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "view",
        aliases: &[],
        doc: "Open a restricted call's personal fields, as one of its operators; the log records it",
        signature: "<call>",
        args: &[ArgKind::Call],
        flags: &[],
    },
    Spec {
        name: "hold-legal",
        aliases: &[],
        doc: "Put a call under a legal hold: it cannot be erased until released",
        signature: "<call> <reason…>",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "release-legal",
        aliases: &[],
        doc: "Release a call's legal hold, so it can be erased again",
        signature: "<call> <reason…>",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "merge",
        aliases: &[],
        doc: "Close a duplicate call into the call it repeats: its caller and notes go across",
        signature: "<duplicate> <into>",
        // Both typed, never filled from the selection: the wrong way round would close the
        // call that is being worked.
        args: &[ArgKind::Text, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "link",
        aliases: &[],
        doc: "Link two calls about the same person or place",
        signature: "<call> <call>",
        args: &[ArgKind::Call, ArgKind::Call],
        flags: &[],
    },
    Spec {
        name: "backup",
        aliases: &["bk"],
        doc: "Ask another agency for backup: creates a linked call; prints its id",
        signature: "<call> <police|ems|fire>",
        args: &[ArgKind::Call, ArgKind::Agency],
        flags: &[],
    },
    Spec {
        name: "on",
        aliases: &["signon"],
        doc: "Sign on to the desk for your shift (handover lists who is on)",
        signature: "",
        args: &[],
        flags: &[],
    },
    Spec {
        name: "off",
        aliases: &["signoff"],
        doc: "Sign off the desk at the end of your shift",
        signature: "",
        args: &[],
        flags: &[],
    },
    Spec {
        name: "handover",
        aliases: &[],
        doc: "What the next shift must know: open calls, units out of service, alarms, cautions",
        signature: "[--hours N]",
        args: &[],
        flags: &[Flag {
            name: "hours",
            value: Some(ArgKind::Text),
            doc: "how far back cautions are listed (default 12)",
        }],
    },
    Spec {
        name: "confirm",
        aliases: &["cnf"],
        doc: "The agency a backup call went to says it has it (who said so, optional)",
        signature: "<call> [who…]",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "accept",
        aliases: &[],
        doc: "Accept a call a partner handed in; the partner is told",
        signature: "<call>",
        args: &[ArgKind::Call],
        flags: &[],
    },
    Spec {
        name: "reject",
        aliases: &[],
        doc: "Reject a call a partner handed in, with the reason; it leaves the queue",
        signature: "<call> <reason>",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "transfer",
        aliases: &["xfer"],
        doc: "Hand a call to a partner (NENA-STA-024); its answers and progress show here",
        signature: "<call> <partner>",
        args: &[ArgKind::Call, ArgKind::Text],
        flags: &[],
    },
    Spec {
        name: "ask",
        aliases: &["triage"],
        doc: "Record a triage answer; the recommendation follows",
        signature: "<call> <question> <yes|no|unknown|choice>",
        args: &[ArgKind::Call, ArgKind::Question, ArgKind::Answer],
        flags: &[],
    },
    Spec {
        name: "respond",
        aliases: &["resp"],
        doc: "Accept the recommended response, or override it with a reason",
        signature: "<call> <response-type> [--reason TEXT]",
        args: &[ArgKind::Call, ArgKind::ResponseType],
        flags: &[Flag {
            name: "reason",
            value: Some(ArgKind::Text),
            doc: "why the recommendation is overridden",
        }],
    },
    Spec {
        name: "rec",
        aliases: &["recommend"],
        doc: "The response plan for a call: which unit goes in each slot, and why; --dispatch \
              sends the whole plan",
        signature: "<call> [--dispatch [--partial]]",
        args: &[ArgKind::Call],
        flags: &[
            Flag {
                name: "dispatch",
                value: None,
                doc: "send every unit the plan names, in one step",
            },
            Flag {
                name: "partial",
                value: None,
                doc: "with --dispatch: send the units there are when the plan is short of one",
            },
        ],
    },
    Spec {
        name: "ack",
        aliases: &["acknowledge"],
        doc: "Acknowledge a conflict alert (two consoles changed the same thing); alone, the only \
              open one",
        signature: "[<alert>]",
        args: &[ArgKind::Alert],
        flags: &[],
    },
    Spec {
        name: "ok",
        aliases: &["checkin"],
        doc: "A unit on scene checks in safe; restarts its safety timer",
        signature: "<unit>",
        args: &[ArgKind::Unit],
        flags: &[],
    },
];

/// Finds the spec for the words at the start of a command line; returns it with the number of
/// words its name (or alias) used.
pub fn lookup(words: &[&str]) -> Option<(&'static Spec, usize)> {
    let first = words.first()?.to_ascii_lowercase();
    let second = words.get(1).map(|w| w.to_ascii_lowercase());
    COMMANDS.iter().find_map(|spec| {
        let mut names = std::iter::once(spec.name).chain(spec.aliases.iter().copied());
        names.find_map(|name| match name.split_once(' ') {
            Some((verb, object)) => {
                (verb == first && second.as_deref() == Some(object)).then_some((spec, 2))
            }
            None => (name == first).then_some((spec, 1)),
        })
    })
}

/// The command reference and the vocabulary as Markdown (kept in docs/commands.md; a test
/// checks it is fresh).
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from("| command | aliases | what it does |\n|---|---|---|\n");
    for spec in COMMANDS {
        let aliases: Vec<String> = spec.aliases.iter().map(|a| format!("`{a}`")).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            spec.usage().replace('|', "\\|"),
            aliases.join(" "),
            spec.doc
        );
    }
    out.push_str("\n**Call types** (`--type` takes the word or the APCO code):\n\n");
    out.push_str("| type | APCO code | default priority | meaning |\n|---|---|---|---|\n");
    for t in CallType::ALL {
        let _ = writeln!(
            out,
            "| `{t}` | `{}` | {} | {} |",
            t.apco(),
            t.default_priority(),
            t.doc()
        );
    }
    let list = |words: Vec<(&str, &str)>| {
        words
            .iter()
            .map(|(w, d)| format!("`{w}` ({d})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "\n**Dispositions**: {}.\n\n**Capabilities**: {}.\n\n**Unit statuses**: {}.",
        list(
            Disposition::ALL
                .iter()
                .map(|d| (d.word(), d.doc()))
                .collect()
        ),
        list(
            Capability::ALL
                .iter()
                .map(|c| (c.word(), c.doc()))
                .collect()
        ),
        list(
            UnitStatus::ALL
                .iter()
                .map(|s| (s.word(), s.doc()))
                .collect()
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for spec in COMMANDS {
            for name in std::iter::once(spec.name).chain(spec.aliases.iter().copied()) {
                assert!(seen.insert(name), "{name} is used twice");
            }
        }
    }

    #[test]
    fn lookup_takes_verb_then_object() {
        assert_eq!(
            lookup(&["unit", "add", "X"]).map(|(s, n)| (s.name, n)),
            Some(("unit add", 2))
        );
        assert_eq!(
            lookup(&["DP", "X"]).map(|(s, n)| (s.name, n)),
            Some(("dp", 1))
        );
        assert_eq!(lookup(&["clear"]).map(|(s, _)| s.name), Some("avl"));
        assert!(lookup(&["unit"]).is_none());
        assert!(lookup(&["fly"]).is_none());
    }
}
