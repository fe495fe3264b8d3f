//! What every command needs before it runs: the config dir read once (settings, protocol,
//! address list, and every problem found in them), the console's look, the log file, and the
//! desk itself — attached to a serving desk when one runs on the data dir, else opened here.

use std::path::{Path, PathBuf};

use crate::config;
use crate::desk::{Desk, SystemClock};
use crate::domain::Policy;
use crate::store::{Store, StoreError, StoreKind};

use super::args::Look;

/// The config dir as read once for a command: the settings, and every problem found reading
/// it or the files it names (the console shows them; other commands print them once and run on
/// the defaults for what was wrong).
pub(super) struct Centre {
    pub(super) dir: Option<PathBuf>,
    pub(super) settings: config::Settings,
    pub(super) problems: Vec<String>,
}

impl Centre {
    pub(super) fn load() -> Centre {
        let dir = config::config_dir();
        let (settings, problems) = config::Settings::load(dir.as_deref());
        Centre {
            dir,
            settings,
            problems,
        }
    }

    /// The triage protocol and the time limits.
    pub(super) fn policy(&mut self) -> Policy {
        let settings = &self.settings;
        let name = settings.protocol.as_deref().unwrap_or("default");
        let protocol =
            crate::config::protocol::load(name, self.dir.as_deref()).unwrap_or_else(|e| {
                self.problems.push(e.to_string());
                crate::config::protocol::shipped()
            });
        let mut policy = Policy::new(protocol);
        policy.pending_alarm_minutes = settings.alarms.pending_minutes;
        policy.default_checkin_minutes = settings.safety.checkin_minutes;
        policy.checkin_minutes = settings.safety.by_response.clone();
        policy.status_minutes = settings.unit_timers.minutes();
        policy.retention = settings.retention.schedule();
        policy
    }

    /// Who this process is (its OS user), and which operators each OS user may act as: what a
    /// desk opened or served here stamps and checks.
    pub(super) fn author(&self) -> (Option<String>, crate::desk::author::ActAs) {
        (
            Some(crate::desk::author::own_user()),
            crate::desk::author::ActAs::new(self.settings.act_as.clone()),
        )
    }

    /// The address list that places new calls (on a desk that plans) and that the map pane is
    /// drawn from (in any console).
    pub(super) fn gazetteer(&mut self) -> Option<crate::places::Gazetteer> {
        crate::config::gazetteer::load(self.dir.as_deref()).unwrap_or_else(|e| {
            self.problems.push(e);
            None
        })
    }

    /// For commands without a screen to show them on: every problem, once, on stderr. They
    /// run on what was read well and the defaults for the rest, as the console does.
    pub(super) fn warn(&self) {
        for p in &self.problems {
            eprintln!("switchboard: {p}; using the default for it");
        }
    }
}

/// The keymap, theme and drawing options the console uses; what is wrong with the user's files
/// goes with the centre's problems. Fails only without a terminal or on a bad `--colors`.
pub(super) fn console_look(
    look: &Look,
    centre: &mut Centre,
) -> Result<
    (
        crate::console::keymap::Keymap,
        crate::console::theme::Theme,
        crate::console::app::Options,
    ),
    String,
> {
    use std::io::IsTerminal;

    use crate::console::app::Options;
    use crate::console::keymap::Keymap;
    use crate::console::theme::{ColorDepth, Theme};

    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err("the console needs a terminal; in scripts use `switchboard exec`".into());
    }
    let config_dir = centre.dir.as_deref();
    let settings = &centre.settings;
    let keymap_name = look
        .keymap
        .clone()
        .or(settings.keymap.clone())
        .unwrap_or_else(|| "default".into());
    let (keymap, keymap_problems) = Keymap::load(&keymap_name, config_dir);
    let depth = ColorDepth::detect(look.colors.as_deref())?;
    let theme_name = look
        .theme
        .clone()
        .or(settings.theme.clone())
        .unwrap_or_else(|| "ansi16".into());
    let theme = Theme::load_all(&theme_name, config_dir, depth);
    centre.problems.extend(keymap_problems);
    // Whoever is at this console is named on every change it makes: say when nobody is.
    centre.problems.extend(config::unnamed_notice());
    let theme = theme.unwrap_or_else(|all| {
        centre.problems.extend(all.iter().map(ToString::to_string));
        Theme::default_for(depth)
    });
    let options = Options {
        ascii: look.ascii || !config::locale_is_utf8(),
        keymap_name,
        utc: false,
    };
    Ok((keymap, theme, options))
}

/// How a command reaches a desk that serves its data dir.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Reach {
    /// A console: it folds, and is named to the other consoles.
    Console,
    /// A command that reads the fold (`state`, `report`, `log`).
    Command,
    /// `exec`: it only runs lines, so it keeps no fold and none is sent to it.
    Run,
    /// `report`: it reads figures from the store's marks and fold-order index, not the fold;
    /// attached, the serving desk reads them.
    Figures,
}

/// The desk a `switchboard serve` (or a console with `--listen`) runs on `dir`, if any.
pub(super) fn attach(
    dir: &Path,
    operator: &str,
) -> Result<Option<(Desk, crate::desk::attach::Watch)>, String> {
    crate::desk::attach::attach(dir, Box::new(SystemClock), operator)
}

/// As [`attach`], for a console: the serving desk shows `operator` to its other consoles.
pub(super) fn attach_console(
    dir: &Path,
    operator: &str,
) -> Result<Option<(Desk, crate::desk::attach::Watch)>, String> {
    crate::desk::attach::attach_console(dir, Box::new(SystemClock), operator)
}

/// Logs go to a file in the data dir, and only when `SWITCHBOARD_LOG` names a level.
pub(super) fn start_log(dir: &Path) {
    let Some(level) = std::env::var("SWITCHBOARD_LOG")
        .ok()
        .filter(|l| !l.is_empty())
    else {
        return;
    };
    let Ok(level) = level.parse::<tracing::Level>() else {
        eprintln!(
            "switchboard: SWITCHBOARD_LOG={level} is not a level (error, warn, info, debug, trace)"
        );
        return;
    };
    let path = dir.join("switchboard.log");
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(file) => {
            eprintln!("switchboard: logging {level} to {}", path.display());
            let _ = tracing_subscriber::fmt()
                .with_max_level(level)
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .try_init();
        }
        Err(e) => eprintln!("switchboard: cannot log to {}: {e}", path.display()),
    }
}

/// What a command does with the data dir it is given.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    /// Only reads (`state`, `log`, `report`, `export`): a dir without a store is a mistake,
    /// never made into an empty store.
    Read,
    /// Writes, and makes the store on first use.
    Write,
}

/// Refuses a `--data` that cannot be a data dir (a file), and, for a command that only reads,
/// one that holds no store: a typo'd path must not quietly report an empty store.
pub(super) fn check_data_dir(dir: &Path, usage: Use) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "{} is a file, not a data dir; give a directory with --data",
            dir.display()
        ));
    }
    if usage == Use::Read
        && !dir.join("store").is_dir()
        && !crate::desk::attach::socket_path(dir).exists()
    {
        return Err(format!(
            "there is no store in {}; check the --data path (commands that only read never make \
             one: `exec` or the console does)",
            dir.display()
        ));
    }
    Ok(())
}

/// The desk serving the data dir if there is one, else the store opened here.
pub(super) fn open_desk(data: Option<&Path>, operator: &str, usage: Use) -> Result<Desk, String> {
    open_desk_for(data, operator, usage, Reach::Command)
}

/// As [`open_desk`], for `report`: no fold, here or attached ([`Reach::Figures`]).
pub(super) fn open_desk_for_figures(data: Option<&Path>, operator: &str) -> Result<Desk, String> {
    open_desk_for(data, operator, Use::Read, Reach::Figures)
}

/// As [`open_desk`], for `exec`: attached, it only runs lines there (no fold crosses).
pub(super) fn open_desk_to_run(data: Option<&Path>, operator: &str) -> Result<Desk, String> {
    open_desk_for(data, operator, Use::Write, Reach::Run)
}

fn open_desk_for(
    data: Option<&Path>,
    operator: &str,
    usage: Use,
    reach: Reach,
) -> Result<Desk, String> {
    let dir = config::data_dir(data)?;
    check_data_dir(&dir, usage)?;
    let mut centre = Centre::load();
    let policy = centre.policy();
    let (desk, _) = reach_desk(&dir, StoreKind::Live, operator, reach, || {
        centre.gazetteer()
    })?;
    centre.warn();
    let (os_user, act_as) = centre.author();
    Ok(desk.with_policy(policy).with_author(os_user, act_as))
}

/// How long a command waits for a desk that is starting on its data dir (it holds the store,
/// its socket is not up yet) before it gives up.
const START_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The desk on `dir`: the serving desk's when one serves it, else the store opened here (new
/// calls placed with `gazetteer`, asked for only then: the serving desk places its own). A desk
/// that is starting on `dir` is waited for, up to [`START_WAIT`], and then attached to. A
/// `console` is named to the serving desk's other consoles.
pub(super) fn reach_desk(
    dir: &Path,
    kind: StoreKind,
    operator: &str,
    reach: Reach,
    gazetteer: impl FnOnce() -> Option<crate::places::Gazetteer>,
) -> Result<(Desk, Option<crate::desk::attach::Watch>), String> {
    let started = std::time::Instant::now();
    let mut gazetteer = Some(gazetteer);
    let attach = |dir: &Path, operator: &str| match reach {
        Reach::Console => Ok(attach_console(dir, operator)?.map(|(d, w)| (d, Some(w)))),
        Reach::Command => Ok(attach(dir, operator)?.map(|(d, w)| (d, Some(w)))),
        Reach::Run | Reach::Figures => {
            crate::desk::attach::attach_to_run(dir, Box::new(SystemClock), operator)
                .map(|d| d.map(|d| (d, None)))
        }
    };
    loop {
        if let Some((desk, watch)) = attach(dir, operator)? {
            return Ok((desk, watch));
        }
        match Store::open(dir, kind) {
            Ok(store) if reach == Reach::Figures => {
                let desk = Desk::for_figures(store, Box::new(SystemClock), operator)
                    .map_err(|e| e.to_string())?;
                return Ok((desk, None));
            }
            Ok(store) => {
                let places = gazetteer.take().and_then(|g| g());
                let desk = Desk::open(store, Box::new(SystemClock), operator)
                    .map_err(|e| e.to_string())?
                    .with_gazetteer(places);
                return Ok((desk, None));
            }
            Err(e @ StoreError::Locked { .. }) => {
                if started.elapsed() < START_WAIT && starting_holder(dir).is_some() {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    continue;
                }
                // The desk may have come up while the lock was tried.
                if let Some((desk, watch)) = attach(dir, operator)? {
                    return Ok((desk, watch));
                }
                return Err(e.to_string());
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The store in `dir` opened to serve it. A command holding it for a moment (a `state`, an
/// `exec`) is waited for, briefly; a desk already serving it, or starting to, is refused. With
/// peers to give back what it lost, a live store that went back opens owing it, and takes no
/// change of its own until it is back; without peers it is refused like anywhere else.
pub(super) fn serving_desk(
    dir: &Path,
    kind: StoreKind,
    operator: &str,
    gazetteer: Option<crate::places::Gazetteer>,
) -> Result<Desk, String> {
    /// Long enough for a command that reads or writes a few lines; a console holds the store
    /// far longer, and is named in the refusal.
    const HOLDER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
    let heal = kind == StoreKind::Live
        && crate::sync::Peers::load(dir).is_ok_and(|p| !p.list().is_empty());
    let started = std::time::Instant::now();
    loop {
        let opened = if heal {
            Store::open_to_heal(dir, kind)
        } else {
            Store::open(dir, kind)
        };
        match opened {
            Ok(store) => {
                return Ok(Desk::open(store, Box::new(SystemClock), operator)
                    .map_err(|e| e.to_string())?
                    .with_gazetteer(gazetteer))
            }
            Err(e @ StoreError::Locked { .. }) => {
                if starting_holder(dir).is_some() || attach(dir, operator)?.is_some() {
                    return Err(format!("a desk already serves {}", dir.display()));
                }
                if started.elapsed() >= HOLDER_WAIT {
                    return Err(e.to_string());
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The file a desk that is starting to serve `dir` keeps there (its pid) from before it takes
/// the store until its socket listens.
fn starting_path(dir: &Path) -> PathBuf {
    dir.join("desk.starting")
}

/// The pid of a desk starting on `dir`: the one in `desk.starting`, when the store's lock is
/// held by that same process.
fn starting_holder(dir: &Path) -> Option<u32> {
    let read = |name: &str| -> Option<u32> {
        std::fs::read_to_string(dir.join(name))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let pid = read("desk.starting")?;
    (read("lock") == Some(pid)).then_some(pid)
}

/// Says, for as long as it lives, that this process is starting a desk on `dir`: commands that
/// find the store held meanwhile wait for the socket rather than give up. Dropped once the
/// socket listens (or the start fails).
pub(super) struct Starting(PathBuf);

impl Starting {
    pub(super) fn mark(dir: &Path) -> Starting {
        // Made (or checked) as the store makes its data dir, so the mark can be there first;
        // a dir the store would refuse is refused by the store's own open just after.
        let _ = crate::store::private::data_dir(dir);
        let path = starting_path(dir);
        let _ = std::fs::write(&path, std::process::id().to_string());
        Starting(path)
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_timers_in_config_reach_the_desk_policy_and_a_bad_one_keeps_the_defaults() {
        let (settings, problems) =
            config::Settings::parse_all("[unit_timers]\nen_route_minutes = 7\n");
        assert!(problems.is_empty(), "{problems:?}");
        let mut centre = Centre {
            dir: None,
            settings,
            problems,
        };
        let minutes = centre.policy().status_minutes;
        assert_eq!(minutes.en_route, 7);
        assert_eq!(minutes.dispatched, 3);
        let (settings, problems) =
            config::Settings::parse_all("[unit_timers]\nen_route_minutes = -1\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        let mut centre = Centre {
            dir: None,
            settings,
            problems,
        };
        assert_eq!(
            centre.policy().status_minutes,
            crate::domain::policy::StatusMinutes::default()
        );
    }
}
