//! Where things live: data dirs and the operator's name, from flags, then the environment, then
//! the platform's conventions; and the files read from the configuration directory: `config.toml`
//! here, triage protocols (`protocol`) and the address list (`gazetteer`).

pub mod gazetteer;
pub mod protocol;

use std::path::{Path, PathBuf};

/// The live store: `--data`, else `$SWITCHBOARD_DATA`, else the platform data dir.
pub fn data_dir(flag: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(dir) = flag {
        return Ok(dir.to_owned());
    }
    if let Some(dir) = std::env::var_os("SWITCHBOARD_DATA").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    platform_data().map(|d| d.join("live"))
}

/// The demo store: `--data`, else a `demo` dir beside (never inside) the live store's default.
pub fn demo_dir(flag: Option<&Path>) -> Result<PathBuf, String> {
    match flag {
        Some(dir) => Ok(dir.to_owned()),
        None => platform_data().map(|d| d.join("demo")),
    }
}

fn platform_data() -> Result<PathBuf, String> {
    directories::ProjectDirs::from("org", "switchboard", "switchboard")
        .map(|p| p.data_dir().to_owned())
        .ok_or_else(|| "no home directory to keep data in; pass --data DIR".to_owned())
}

/// The name recorded when nobody says who is at the desk.
pub const NO_OPERATOR: &str = "dispatcher";

/// `--operator`, else `$SWITCHBOARD_OPERATOR`, else `$USER`; else [`NO_OPERATOR`], and `false`
/// for "nobody was named" so that the caller can say so.
pub fn operator_named(flag: Option<&str>) -> (String, bool) {
    let named = flag
        .map(str::to_owned)
        .or_else(|| std::env::var("SWITCHBOARD_OPERATOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|o| !o.trim().is_empty());
    if let Some(name) = named {
        (name, true)
    } else {
        UNNAMED.store(true, std::sync::atomic::Ordering::Relaxed);
        (NO_OPERATOR.to_owned(), false)
    }
}

/// Set once [`operator_named`] found no name: the console says so at start.
static UNNAMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// When this process found no operator name: what to say, and how to set one.
pub fn unnamed_notice() -> Option<String> {
    UNNAMED.load(std::sync::atomic::Ordering::Relaxed).then(|| {
        format!(
            "no operator name: changes are recorded as '{NO_OPERATOR}'; start with \
             --operator NAME or set $SWITCHBOARD_OPERATOR (or $USER)"
        )
    })
}

/// `--operator`, else `$SWITCHBOARD_OPERATOR`, else `$USER`, else [`NO_OPERATOR`].
pub fn operator(flag: Option<&str>) -> String {
    operator_named(flag).0
}

/// User configuration: `$SWITCHBOARD_CONFIG`, else the platform config dir. Holds
/// `config.toml`, `keymaps/`, `themes/`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SWITCHBOARD_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "switchboard", "switchboard")
        .map(|p| p.config_dir().to_owned())
}

/// `config.toml`: every key optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub theme: Option<String>,
    pub keymap: Option<String>,
    /// Triage protocol: `default` (shipped) or `<config>/protocols/NAME.toml`.
    pub protocol: Option<String>,
    #[serde(default)]
    pub alarms: Alarms,
    #[serde(default)]
    pub safety: Safety,
    #[serde(default)]
    pub unit_timers: UnitTimers,
    /// Which operators each OS user may act as: `okafor = ["ct-okafor"]`, `"*"` for any. A
    /// desk with a list refuses an OS user it does not list (`docs/access.md`).
    #[serde(default)]
    pub act_as: std::collections::BTreeMap<String, Vec<String>>,
    /// How long personal fields are kept after a call closes (`docs/privacy.md`).
    #[serde(default)]
    pub retention: Retention,
}

/// `[retention]`: days a closed call keeps its personal fields, per kind of store; a key left
/// out keeps them. The operational record is kept whatever this says (the figures need it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub personal_days: Option<std::num::NonZeroU32>,
    pub training_days: Option<std::num::NonZeroU32>,
}

impl Retention {
    pub fn schedule(self) -> crate::domain::retention::Retention {
        crate::domain::retention::Retention {
            personal_days: self.personal_days.map(std::num::NonZeroU32::get),
            training_days: self.training_days.map(std::num::NonZeroU32::get),
        }
    }
}

/// How long a unit may stay in a status before its timer alarms, in minutes; 0 turns one off.
/// Out of service has no limit of its own: `oos … --back 30m` sets when the unit is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitTimers {
    /// Dispatched and not yet en route.
    #[serde(default = "dispatched_minutes")]
    pub dispatched_minutes: u32,
    #[serde(default = "en_route_minutes")]
    pub en_route_minutes: u32,
    #[serde(default = "at_facility_minutes")]
    pub at_facility_minutes: u32,
}

fn dispatched_minutes() -> u32 {
    crate::domain::policy::StatusMinutes::default().dispatched
}

fn en_route_minutes() -> u32 {
    crate::domain::policy::StatusMinutes::default().en_route
}

fn at_facility_minutes() -> u32 {
    crate::domain::policy::StatusMinutes::default().at_facility
}

impl Default for UnitTimers {
    fn default() -> Self {
        UnitTimers {
            dispatched_minutes: dispatched_minutes(),
            en_route_minutes: en_route_minutes(),
            at_facility_minutes: at_facility_minutes(),
        }
    }
}

impl UnitTimers {
    pub fn minutes(self) -> crate::domain::policy::StatusMinutes {
        crate::domain::policy::StatusMinutes {
            dispatched: self.dispatched_minutes,
            en_route: self.en_route_minutes,
            at_facility: self.at_facility_minutes,
        }
    }
}

/// Safety check-in intervals for units on scene.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Safety {
    /// Minutes between check-ins, unless the call's response type has its own below.
    pub checkin_minutes: u32,
    /// Per response type, e.g. `co-response = 15`.
    #[serde(default)]
    pub by_response: std::collections::BTreeMap<crate::domain::ResponseType, u32>,
}

impl Default for Safety {
    fn default() -> Self {
        Safety {
            checkin_minutes: 20,
            by_response: std::collections::BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alarms {
    /// Minutes a pending call may wait before its age alarms, for priorities 1 to 4.
    #[serde(default = "pending_minutes")]
    pub pending_minutes: [u32; 4],
    /// What rings the console's bell (BEL, heard over SSH too): every kind unless listed;
    /// `bell = []` silences it.
    #[serde(default = "Ring::every")]
    pub bell: Vec<Ring>,
    /// Also flash the status bar for a second when the bell rings.
    #[serde(default)]
    pub flash: bool,
}

fn pending_minutes() -> [u32; 4] {
    [2, 5, 15, 30]
}

impl Default for Alarms {
    fn default() -> Self {
        Alarms {
            pending_minutes: pending_minutes(),
            bell: Ring::every(),
            flash: false,
        }
    }
}

/// What can ring the bell: a call arriving that this console did not take, a P1 arriving, a
/// pending call passing its limit, a missed check-in, a conflict between consoles, a peer
/// going down, a unit past its status timer (`[unit_timers]`, `oos --back`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ring {
    NewCall,
    P1,
    Waiting,
    CheckIn,
    Conflict,
    PeerDown,
    UnitTimer,
}

impl Ring {
    pub const ALL: [Ring; 7] = [
        Ring::NewCall,
        Ring::P1,
        Ring::Waiting,
        Ring::CheckIn,
        Ring::Conflict,
        Ring::PeerDown,
        Ring::UnitTimer,
    ];

    fn every() -> Vec<Ring> {
        Ring::ALL.to_vec()
    }
}

impl Settings {
    /// Reads `<dir>/config.toml`. A missing file is the defaults. A broken one still counts for
    /// what is right in it: each top-level key that reads well is kept (a good `theme` survives
    /// a bad `[alarms]`), the rest stay at their defaults, and every problem found comes back as
    /// one line naming the file and line, so every command runs and says what it left out.
    pub fn load(dir: Option<&Path>) -> (Settings, Vec<String>) {
        let Some(path) = dir.map(|d| d.join("config.toml")) else {
            return (Settings::default(), Vec::new());
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            return (Settings::default(), Vec::new());
        };
        let (settings, problems) = Self::parse_all(&text);
        let problems = problems
            .into_iter()
            .map(|p| format!("{}:{p}", path.display()))
            .collect();
        (settings, problems)
    }

    /// Parses the text of a config file; the error starts with the line number.
    pub fn parse(text: &str) -> Result<Settings, String> {
        toml::from_str::<Settings>(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_at(text, s.start));
            format!("{line}: {}", e.message().trim())
        })
    }

    /// Parses what can be parsed: the settings from every top-level key that reads well, and
    /// every problem (each starting with its line number). A line TOML cannot read at all (a
    /// duplicate key, a missing quote) is left out and the rest read again, a bounded number
    /// of times.
    pub fn parse_all(text: &str) -> (Settings, Vec<String>) {
        const MAX_PROBLEMS: usize = 20;
        let mut problems = Vec::new();
        let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
        let table = loop {
            let joined: String = lines.concat();
            match joined.parse::<toml::Table>() {
                Ok(table) => break table,
                Err(e) => {
                    let at = e.span().map_or(0, |s| line_at(&joined, s.start));
                    problems.push(format!("{at}: {}", e.message().trim()));
                    let Some(line) = at.checked_sub(1).filter(|&i| i < lines.len()) else {
                        return (Settings::default(), problems);
                    };
                    if problems.len() >= MAX_PROBLEMS || lines[line].trim().is_empty() {
                        return (Settings::default(), problems);
                    }
                    lines[line] = "\n";
                }
            }
        };
        let mut settings = Settings::default();
        let mut found: Vec<(usize, String)> = Vec::new();
        for (key, value) in table {
            let one = toml::Value::Table(toml::Table::from_iter([(key.clone(), value)]));
            match one.try_into::<Settings>() {
                Ok(read) => match key.as_str() {
                    "theme" => settings.theme = read.theme,
                    "keymap" => settings.keymap = read.keymap,
                    "protocol" => settings.protocol = read.protocol,
                    "alarms" => settings.alarms = read.alarms,
                    "safety" => settings.safety = read.safety,
                    "unit_timers" => settings.unit_timers = read.unit_timers,
                    "act_as" => settings.act_as = read.act_as,
                    "retention" => settings.retention = read.retention,
                    _ => {}
                },
                Err(e) => {
                    // Read the key's own lines again, the others blanked, for the line the
                    // problem is on.
                    let only: String = lines
                        .iter()
                        .zip(owners(&lines))
                        .map(|(l, owner)| if owner == key { *l } else { "\n" })
                        .collect();
                    found.push(match Self::parse(&only) {
                        Err(precise) => {
                            let line = precise
                                .split_once(':')
                                .and_then(|(n, _)| n.parse().ok())
                                .unwrap_or(1);
                            (line, precise)
                        }
                        Ok(_) => (1, format!("1: {}", e.message().trim())),
                    });
                }
            }
        }
        found.sort_by_key(|(line, _)| *line);
        problems.extend(found.into_iter().map(|(_, p)| p));
        (settings, problems)
    }
}

/// For each line, the top-level key it belongs to: its own key at the top, else the table it
/// sits in (`[alarms]`, `[safety.by_response]` → `alarms`, `safety`).
fn owners(lines: &[&str]) -> Vec<String> {
    let mut table = String::new();
    lines
        .iter()
        .map(|line| {
            let l = line.trim();
            if let Some(header) = l.strip_prefix('[') {
                let name = header.trim_start_matches('[');
                name.split(['.', ']'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"')
                    .clone_into(&mut table);
                table.clone()
            } else if table.is_empty() {
                l.split(['=', '.'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"')
                    .to_owned()
            } else {
                table.clone()
            }
        })
        .collect()
}

/// The 1-based line of byte `at` in `text`.
fn line_at(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The names of the user's `<config_dir>/<folder>/*.toml` files (themes, protocols …), sorted.
pub fn user_toml_names(config_dir: Option<&Path>, folder: &str) -> Vec<String> {
    let mut names: Vec<String> = config_dir
        .and_then(|dir| std::fs::read_dir(dir.join(folder)).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml") && path.is_file())
        .filter_map(|path| path.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Draw with ASCII only when the locale is not UTF-8.
pub fn locale_is_utf8() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safety_intervals_per_response_type() {
        let s = Settings::parse(
            "protocol = \"default\"\n[safety]\ncheckin_minutes = 25\nby_response = { co-response = 15 }\n",
        )
        .unwrap();
        assert_eq!(s.safety.checkin_minutes, 25);
        assert_eq!(
            s.safety
                .by_response
                .get(&crate::domain::ResponseType::CoResponse),
            Some(&15)
        );
        let err =
            Settings::parse("[safety]\ncheckin_minutes = 20\nby_response = { copresponse = 15 }\n")
                .unwrap_err();
        assert!(err.starts_with("3:"), "{err}");
    }

    #[test]
    fn a_broken_config_keeps_its_good_keys_and_names_every_problem() {
        let (s, problems) = Settings::parse_all(
            "theme = \"dark\"\ncolour = 3\n[alarms]\npending_minutes = [1, 2]\n",
        );
        assert_eq!(s.theme.as_deref(), Some("dark"));
        assert_eq!(s.alarms, Alarms::default());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("2: unknown field `colour`"),
            "{problems:?}"
        );
        assert!(problems[1].starts_with("4: "), "{problems:?}");
        // A duplicate key is a line TOML cannot read: it is left out, the rest is kept.
        let (s, problems) =
            Settings::parse_all("theme = \"dark\"\nkeymap = \"vim\"\ntheme = \"light\"\n");
        assert_eq!(s.theme.as_deref(), Some("dark"));
        assert_eq!(s.keymap.as_deref(), Some("vim"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("3: "), "{problems:?}");
        let (s, problems) = Settings::parse_all("theme = \"dark\nkeymap = \"vim\"\n");
        assert_eq!(s.keymap.as_deref(), Some("vim"));
        assert!(problems[0].starts_with("1: "), "{problems:?}");
    }

    #[test]
    fn unit_timers_per_status_with_defaults_and_a_broken_value_named() {
        let s = Settings::parse("[unit_timers]\nen_route_minutes = 12\nat_facility_minutes = 0\n")
            .unwrap();
        assert_eq!(
            s.unit_timers.minutes(),
            crate::domain::policy::StatusMinutes {
                dispatched: 3,
                en_route: 12,
                at_facility: 0
            }
        );
        let (s, problems) =
            Settings::parse_all("theme = \"dark\"\n[unit_timers]\nen_route_minutes = \"soon\"\n");
        assert_eq!(s.theme.as_deref(), Some("dark"));
        assert_eq!(s.unit_timers, UnitTimers::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("3: "), "{problems:?}");
        assert!(!problems[0].contains('\n'), "{problems:?}");
        let s = Settings::parse("[alarms]\nbell = [\"unit-timer\"]\n").unwrap();
        assert_eq!(s.alarms.bell, [Ring::UnitTimer]);
        assert!(Alarms::default().bell.contains(&Ring::UnitTimer));
        let (_, problems) = Settings::parse_all("[unit_timers]\nenroute_minutes = 5\n");
        assert!(
            problems[0].contains("unknown field `enroute_minutes`"),
            "{problems:?}"
        );
    }

    #[test]
    fn settings_parse_with_line_numbers() {
        assert_eq!(Settings::parse("").unwrap(), Settings::default());
        let s = Settings::parse("theme = \"dark\"\n[alarms]\npending_minutes = [1, 2, 3, 4]\n")
            .unwrap();
        assert_eq!(s.theme.as_deref(), Some("dark"));
        assert_eq!(s.alarms.pending_minutes, [1, 2, 3, 4]);
        let err = Settings::parse("theme = \"dark\"\ncolour = 3\n").unwrap_err();
        assert!(err.starts_with("2: unknown field `colour`"), "{err}");
        let err = Settings::parse("[alarms]\npending_minutes = [1, 2]\n").unwrap_err();
        assert!(err.starts_with("3:") || err.starts_with("2:"), "{err}");
    }
}
