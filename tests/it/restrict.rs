//! Restricted calls (issue 17 item 3): a call restricted to some operators reads
//! `[restricted]` where its personal fields are — on the console, in `log`, `state` and every
//! export — for everyone else, and for its own operators until they open it with `view`, which
//! the log records, as it records the restriction.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use switchboard::console::view::details::DetailsView;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::vocab::RESTRICTED;
use switchboard::domain::{Body, CallId, ReplicaId};
use switchboard::report::reader::{self, Reader};
use switchboard::store::{Store, StoreKind};

use crate::common::desk::{refused, run, take, T0};
use crate::common::sandbox::Sandbox;

const NAME: &str = "Keisha Arnaud";
const NOTE: &str = "her ex-partner is parked outside again";

fn open_as(dir: &std::path::Path, operator: &str) -> Desk {
    let store = Store::open_as(dir, StoreKind::Live, Some(ReplicaId(1))).unwrap();
    Desk::open(store, Box::new(ManualClock::at(T0)), operator).unwrap()
}

/// A call with a caller and a note, restricted by ct-okafor to ct-reyes (and so to both).
fn restricted(dir: &std::path::Path) -> CallId {
    let mut d = open_as(dir, "ct-okafor");
    let id = take(
        &mut d,
        &format!("call 9 Elm St / woman afraid --caller {NAME} --type welfare"),
    );
    run(&mut d, &format!("note {id} {NOTE}"));
    let made = run(&mut d, &format!("restrict {id} ct-reyes"));
    assert!(
        matches!(&made[..], [Body::CallRestricted { operators, .. }] if operators == &["ct-reyes"]),
        "{made:?}"
    );
    assert_eq!(
        d.state().calls[&id].restricted.as_deref(),
        Some(&["ct-okafor".to_owned(), "ct-reyes".to_owned()][..]),
        "whoever restricts it stays on it"
    );
    d.close().unwrap();
    id
}

/// Everything a desk would show of the call: the call as shown, and its chronology as shown.
fn seen(d: &Desk, id: &CallId) -> String {
    let c = d.shown(&d.state().calls[id]).into_owned();
    let mut all = vec![c.nature.clone()];
    all.extend(c.caller.clone());
    all.extend(c.notes.iter().map(|n| n.text.clone()));
    for e in d.chronology(id).unwrap() {
        all.push(d.shown_event(e).body.describe());
    }
    all.push(serde_json::to_string(&*d.shown_state()).unwrap());
    all.join("\n")
}

#[test]
fn another_operator_reads_restricted_everywhere_and_may_not_open_or_change_it() {
    let dir = tempfile::tempdir().unwrap();
    let id = restricted(dir.path());
    let mut d = open_as(dir.path(), "ct-lee");
    let shown = seen(&d, &id);
    assert!(!shown.contains(NAME) && !shown.contains(NOTE), "{shown}");
    assert!(shown.contains(RESTRICTED));
    let why = refused(&mut d, &format!("view {id}"));
    assert!(
        why.contains("restricted to ct-okafor, ct-reyes; operator ct-lee may not open it"),
        "{why}"
    );
    let why = refused(&mut d, &format!("restrict {id} ct-lee"));
    assert!(why.contains("may not change who sees it"), "{why}");
    // The call is still worked: a note goes on, the operational fields show.
    run(&mut d, &format!("note {id} unit asked for the gate code"));
    assert_eq!(d.shown(&d.state().calls[&id]).location, "9 Elm St");
    // Every export leaves its personal fields out, the audit form too.
    for who in [Reader::Public, Reader::Partner, Reader::Audit] {
        let c = reader::shown(&d.state().calls[&id], who);
        assert!(c.caller.as_deref() != Some(NAME), "{who:?}");
        assert!(c.notes.iter().all(|n| n.text != NOTE), "{who:?}");
    }
}

#[test]
fn a_named_operator_reads_it_once_they_open_it_and_the_log_keeps_that() {
    let dir = tempfile::tempdir().unwrap();
    let id = restricted(dir.path());
    let mut d = open_as(dir.path(), "ct-reyes");
    assert!(!seen(&d, &id).contains(NOTE), "not before it is opened");
    let made = run(&mut d, &format!("view {id}"));
    assert!(
        matches!(&made[..], [Body::RestrictedViewed { .. }]),
        "{made:?}"
    );
    let shown = seen(&d, &id);
    assert!(shown.contains(NAME) && shown.contains(NOTE), "{shown}");
    let opened: Vec<String> = d
        .events()
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.body, Body::RestrictedViewed { .. }))
        .map(|e| e.operator)
        .collect();
    assert_eq!(opened, ["ct-reyes"]);
    // Opening is for this desk's session: a new one starts closed again.
    d.close().unwrap();
    let d = open_as(dir.path(), "ct-reyes");
    assert!(!seen(&d, &id).contains(NOTE));
}

#[test]
fn the_console_of_another_operator_shows_restricted_and_its_own_operator_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let _id = restricted(dir.path());
    let details = |operator: &str, open: bool| {
        let mut app = crate::common::keys::console(open_as(dir.path(), operator), "default");
        if open {
            app.run("view 1", false);
        }
        app.refresh_chronology();
        let area = Rect::new(0, 0, 60, 16);
        let mut buf = Buffer::empty(area);
        DetailsView::new(&app, app.now_ms()).render(area, &mut buf);
        let text: String = (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    + "\n"
            })
            .collect();
        app.desk.close().unwrap();
        text
    };
    let other = details("ct-lee", false);
    assert!(
        !other.contains("Keisha") && !other.contains("ex-partner"),
        "{other}"
    );
    assert!(other.contains(RESTRICTED), "{other}");
    assert!(other.contains("not for this operator"), "{other}");
    let named = details("ct-reyes", false);
    assert!(!named.contains("Keisha"), "{named}");
    assert!(named.contains("`view 1` opens it"), "{named}");
    let opened = details("ct-reyes", true);
    assert!(opened.contains("Keisha"), "{opened}");
}

#[test]
fn log_state_and_export_through_the_binary_hide_it_from_another_operator() {
    let s = Sandbox::new();
    let data = s.data();
    let ok = |operator: &str, args: &[&str]| {
        let out = s.command_as(operator, &data, args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    ok(
        "ct-okafor",
        &[
            "exec",
            &format!("call 9 Elm St / woman afraid --caller {NAME} --type welfare"),
            &format!("note 1 {NOTE}"),
            "restrict 1 ct-reyes",
        ],
    );
    for args in [
        &["log"][..],
        &["log", "--json"],
        &["state"],
        &["state", "--json"],
        &["export", "--format", "eido", "--for", "audit"],
        &["export", "--format", "csv", "--for", "audit"],
    ] {
        let out = ok("ct-lee", args);
        assert!(
            !out.contains("Keisha") && !out.contains("ex-partner"),
            "{args:?}: {out}"
        );
    }
    let log = ok("ct-lee", &["log"]);
    assert!(
        log.contains("ct-okafor (os ") && log.contains("restricted to ct-reyes"),
        "{log}"
    );
    assert!(log.contains(RESTRICTED), "{log}");
    // Its own operators' `log` too reads [restricted] until a `view`, which `exec` can do.
    assert!(!ok("ct-reyes", &["log"]).contains("ex-partner"));
}
