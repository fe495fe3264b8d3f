//! The console without a terminal: snapshots of every pane and the whole screen over ratatui's
//! `TestBackend` with a fixed clock and fixed call ids, and key strings that drive a shift.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use switchboard::console::app::{App, Options};
use switchboard::console::keymap::{Keymap, Mode};
use switchboard::console::theme::{ColorDepth, Theme};
use switchboard::console::view::screen;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::{CallStatus, Disposition, ReplicaId, UnitStatus};
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

/// 2026-11-27 10:00:00 UTC.
const T0: i64 = 1_795_773_600_000;

struct Bench {
    app: App,
    clock: ManualClock,
    _dir: TempDir,
}

fn bench_with(keymap: &str, theme: &str, depth: ColorDepth, ascii: bool) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    // Replica 1's tag is BA: every run mints the same call ids.
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(T0);
    let desk = Desk::open(store, Box::new(clock.clone()), "ct-rivera").unwrap();
    let options = Options {
        ascii,
        utc: true,
        keymap_name: keymap.into(),
    };
    let app = App::new(
        desk,
        Keymap::preset(keymap).unwrap(),
        Theme::load(theme, None, depth).unwrap(),
        options,
        &[],
    );
    Bench {
        app,
        clock,
        _dir: dir,
    }
}

fn bench() -> Bench {
    bench_with("default", "ansi16", ColorDepth::Ansi16, false)
}

impl Bench {
    fn run(&mut self, lines: &[&str]) {
        for line in lines {
            self.clock.advance(20_000);
            self.app
                .desk
                .execute_line(line)
                .unwrap_or_else(|e| panic!("{line}: {e}"));
        }
    }

    /// A small shift in progress: three teams, four calls in different states.
    fn shift(mut self) -> Self {
        self.run(&[
            "unit add STAR-1 clinician,medic --zone d6",
            "unit add STAR-2 clinician,emt --zone d3",
            "unit add STAR-3 peer,emt --zone d1",
            "unit add STAR-4 clinician,medic --zone d2",
            "call 1400 Colfax Ave / man shouting at traffic, not violent --type bh-crisis --caller Jo Smith --cb 555-0101",
            "call 5th & Pine / sleeping in doorway, very cold --type unsheltered",
            "call Civic Center Park / woman asking for shelter --type welfare --pri 4",
            "dp STAR-1 26-BA0001",
            "ons STAR-1",
            "note 26-BA0001 family says he has not slept in days",
            "de STAR-2 26-BA0002",
            "oos STAR-4 vehicle check",
            "call 2200 Larimer St / overdose, breathing, friend with him --type overdose --cb 555-0144",
        ]);
        self.clock.advance(4 * 60_000 + 5_000);
        self
    }

    fn screen(&mut self, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        self.app.refresh_chronology();
        terminal.draw(|f| screen::draw(f, &self.app)).unwrap();
        terminal
    }

    fn text(&mut self, width: u16, height: u16) -> String {
        self.screen(width, height).backend().to_string()
    }

    /// Presses keys written as in keymaps: `<F2>` and friends, other characters as typed.
    fn keys(&mut self, keys: &str) {
        crate::common::keys::press(&mut self.app, keys);
    }
}

#[test]
fn whole_screen_80x24() {
    let mut b = bench().shift();
    insta::assert_snapshot!(b.text(80, 24));
}

#[test]
fn whole_screen_120x40() {
    let mut b = bench().shift();
    insta::assert_snapshot!(b.text(120, 40));
}

#[test]
fn each_pane_at_80x24() {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;
    use switchboard::console::view::{
        cmdline::MessageLine, details::DetailsView, queue::QueueView, roster::RosterView,
        status::StatusBar,
    };
    let mut b = bench().shift();
    b.app.refresh_chronology();
    let now = b.app.now_ms();
    let draw = |w: &dyn Fn(&mut Buffer, Rect), width: u16, height: u16| {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        w(&mut buf, area);
        let mut out = String::new();
        for y in 0..height {
            let line: String = (0..width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    };
    let app = &b.app;
    let panes = [
        (
            "status",
            draw(&|buf, a| StatusBar::new(app, now).render(a, buf), 80, 1),
        ),
        (
            "queue",
            draw(&|buf, a| QueueView::new(app, now).render(a, buf), 80, 8),
        ),
        (
            "details",
            draw(&|buf, a| DetailsView::new(app, now).render(a, buf), 44, 12),
        ),
        (
            "roster",
            draw(&|buf, a| RosterView::new(app, now).render(a, buf), 36, 12),
        ),
        (
            "message",
            draw(&|buf, a| MessageLine::new(app).render(a, buf), 80, 1),
        ),
    ];
    for (name, text) in panes {
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn each_shipped_theme_styles_the_screen() {
    for theme in Theme::shipped_names() {
        let mut b = bench_with("default", theme, ColorDepth::Ansi16, false).shift();
        let terminal = b.screen(80, 24);
        insta::assert_debug_snapshot!(format!("theme_{theme}"), terminal.backend().buffer());
    }
}

#[test]
fn too_small_says_so_and_recovers() {
    let mut b = bench().shift();
    let small = b.text(50, 12);
    assert!(small.contains("Terminal too small: 50x12"), "{small}");
    insta::assert_snapshot!(small);
    assert!(b.text(80, 24).contains("1400 Colfax Ave"));
}

#[test]
fn first_run_explains_how_to_start() {
    let mut b = bench();
    let screen = b.text(80, 24);
    assert!(
        screen.contains("No calls yet. Add a unit: unit add STAR-1"),
        "{screen}"
    );
    assert!(
        screen.contains("`switchboard demo` opens a filled demo store"),
        "{screen}"
    );
}

#[test]
fn ascii_mode_draws_no_box_characters() {
    let mut b = bench_with("default", "ansi16", ColorDepth::Mono, true).shift();
    let screen = b.text(80, 24);
    assert!(screen.is_ascii(), "{screen}");
    b.keys("<F1>");
    assert!(b.text(80, 24).is_ascii());
}

#[test]
fn mono_has_no_colours_but_marks_the_selection() {
    let mut b = bench_with("default", "dark", ColorDepth::Mono, false).shift();
    let terminal = b.screen(80, 24);
    let buf = terminal.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    assert!(
        b.text(80, 24).contains(">26-BA0004"),
        "the selection marker stays"
    );
}

#[test]
fn help_and_intake_overlays() {
    let mut b = bench().shift();
    b.keys("<F1>");
    assert_eq!(b.app.ui.mode, Mode::Help);
    insta::assert_snapshot!("help_80x24", b.text(80, 24));
    b.keys("<Esc><F2>300 Broadway<Tab>woman crying<Tab>Sam");
    insta::assert_snapshot!("intake_80x24", b.text(80, 24));
}

#[test]
fn a_call_taken_dispatched_worked_and_closed_by_keys() {
    let mut b = bench();
    b.run(&[
        "unit add STAR-1 clinician,medic",
        "unit add STAR-2 peer,emt",
    ]);
    // Intake form: location, nature, caller, callback, type, priority.
    b.keys("<F2>300 Broadway<Tab>woman crying in bus shelter<Tab>Sam<Tab>555-0199<Tab>welfare<Tab>2<Enter>");
    assert_eq!(b.app.ui.mode, Mode::Command);
    let state = b.app.state();
    let call = &state.calls[&"26-BA0001".parse().unwrap()];
    assert_eq!(
        (call.location.as_str(), call.priority.get()),
        ("300 Broadway", 2)
    );
    assert_eq!(call.caller.as_deref(), Some("Sam"));
    // F5 dispatches the selected unit (the first free one) to the selected call (the new one);
    // the selection then stays on that unit, so F6/F7 act on it.
    b.keys("<F5>");
    b.keys("<F6>");
    b.keys("<F7>");
    let state = b.app.state();
    let star1 = &state.units[&"STAR-1".parse().unwrap()];
    assert_eq!(star1.status, UnitStatus::OnScene);
    assert_eq!(
        state.calls[&"26-BA0001".parse().unwrap()].status,
        CallStatus::OnScene
    );
    // A refusal keeps the line for editing and says why in one line.
    b.keys("close 1 resolved<Enter>");
    assert_eq!(b.app.ui.line.text, "close 1 resolved");
    let refusal = b.app.ui.message.clone().unwrap().text;
    assert!(
        refusal.starts_with("STAR-1 still on 26-BA0001"),
        "{refusal}"
    );
    // Clear the unit with a typed command, then close with completion of the disposition.
    b.keys("<C-u>avl STAR-1<Enter>");
    b.keys("close 1 res<Tab><Enter>");
    let state = b.app.state();
    let call = &state.calls[&"26-BA0001".parse().unwrap()];
    assert_eq!(call.disposition, Some(Disposition::Resolved));
    assert_eq!(
        state.units[&"STAR-1".parse().unwrap()].status,
        UnitStatus::Available
    );
    // History brings back the last lines.
    b.keys("<Up>");
    assert_eq!(b.app.ui.line.text, "close 1 resolved");
    b.keys("<Up>");
    assert_eq!(b.app.ui.line.text, "avl STAR-1");
}

#[test]
fn selection_moves_and_bare_verbs_use_it() {
    let mut b = bench().shift();
    // Queue order: P1 overdose first, then P2, P3, P4.
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0004");
    b.keys("<C-n><C-n>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0002");
    b.keys("<C-p>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0001");
    b.keys("note he is calmer now<Enter>");
    let notes = &b.app.state().calls[&"26-BA0001".parse().unwrap()].notes;
    assert_eq!(notes.last().unwrap().text, "he is calmer now");
    // `:` then a command line then Enter works in the default keymap too.
    b.keys(":unit add STAR-9 peer<Enter>");
    assert!(b.app.state().units.contains_key(&"STAR-9".parse().unwrap()));
    b.keys(":q<Enter>");
    assert!(b.app.ui.quit);
}

#[test]
fn a_call_number_that_names_no_call_is_refused_for_what_it_is_not_filled_over() {
    let mut b = bench().shift();
    let before = b.app.state().digest();
    // The selected call must not be slipped in before the typed number.
    b.keys(":dp STAR-3 99<Enter>");
    let said = &b.app.ui.message.as_ref().unwrap().text;
    assert!(said.contains("99"), "{said}");
    assert!(!said.contains("argument"), "{said}");
    assert_eq!(b.app.state().digest(), before);
}

#[test]
fn vim_keymap_drives_the_same_shift() {
    let mut b = bench_with("vim", "ansi16", ColorDepth::Ansi16, false).shift();
    assert_eq!(b.app.ui.mode, Mode::Normal);
    b.keys("G");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0003");
    b.keys("gg");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0004");
    // STAR-3 is the only free unit left after J moves past STAR-2? Select it explicitly.
    b.keys(":dp STAR-3 4<Enter>");
    assert_eq!(
        b.app.ui.mode,
        Mode::Normal,
        "back to normal after a command"
    );
    b.keys("o");
    assert_eq!(
        b.app.state().units[&"STAR-3".parse().unwrap()].status,
        UnitStatus::OnScene
    );
    b.keys("ZZ");
    assert!(b.app.ui.quit);
}

#[test]
fn completion_ranks_as_you_type() {
    let mut b = bench().shift();
    b.keys("dp ST");
    let words: Vec<&str> = b
        .app
        .ui
        .line
        .candidates
        .iter()
        .map(|c| c.word.as_str())
        .collect();
    assert_eq!(
        words.first(),
        Some(&"STAR-3"),
        "free units first: {words:?}"
    );
    b.keys("<Tab>");
    assert_eq!(b.app.ui.line.text, "dp STAR-3");
    b.keys("<Tab>");
    assert_ne!(
        b.app.ui.line.text, "dp STAR-3",
        "Tab again offers the next candidate"
    );
}

#[test]
fn age_alarm_follows_priority_thresholds() {
    let mut b = bench().shift();
    // The P1 overdose has waited 4 min 25 s: over its 2-minute threshold.
    let call = b.app.state().calls[&"26-BA0004".parse().unwrap()].clone();
    assert!(b.app.overdue(&call, b.app.now_ms()));
    let p4 = b.app.state().calls[&"26-BA0003".parse().unwrap()].clone();
    assert!(!b.app.overdue(&p4, b.app.now_ms()));
    assert!(b.text(80, 24).contains("1 waiting long"));
}

#[test]
fn triage_by_keys_then_dispatch_the_recommended_unit_and_watch_its_timer() {
    let mut b = bench();
    b.run(&[
        "unit add STAR-1 peer,emt --zone d3",
        "unit add STAR-2 clinician,medic --zone d3",
        "call 300 Broadway / woman crying in a bus shelter --type welfare --zone d3",
    ]);
    // Ctrl-T triages the selected call: each question is one key, answers move on.
    b.keys("<C-t>");
    assert_eq!(b.app.ui.triage, Some(0));
    // violence, weapon, crime, medical, hazard, harm: no; info: yes.
    b.keys("nnnnnny<Esc>");
    assert_eq!(b.app.ui.triage, None);
    let call = b.app.state().calls[&"26-BA0001".parse().unwrap()].clone();
    let rec = call.recommendation.clone().unwrap();
    assert_eq!(
        (rec.response.word(), rec.rule.as_str()),
        ("community", "community-welfare")
    );
    assert!(b
        .text(80, 24)
        .contains("Resp community (community-welfare)"));
    // A question's key jumps to it: a weapon mentioned later changes the recommendation.
    b.keys("<C-t>wy<Esc>");
    let call = b.app.state().calls[&"26-BA0001".parse().unwrap()].clone();
    assert_eq!(call.recommendation.unwrap().response.word(), "co-response");
    b.keys("<C-t>wn<Esc>");
    // Ctrl-R dispatches the top recommendation: the clinician, not the nearer-in-list peer team.
    b.keys("<C-r>");
    let state = b.app.state();
    assert_eq!(
        state.units[&"STAR-2".parse().unwrap()]
            .call
            .as_ref()
            .map(switchboard::domain::CallId::as_str),
        Some("26-BA0001")
    );
    b.keys("<F7>");
    // 21 minutes on scene without a check-in: the roster and the status bar say so.
    b.clock.advance(21 * 60_000);
    let screen = b.text(80, 24);
    assert!(screen.contains("STAR-2 check-in late"), "{screen}");
    assert!(screen.contains("LATE 1:00"), "{screen}");
    // Ctrl-O checks the selected unit in.
    b.keys("<C-o>");
    let screen = b.text(80, 24);
    assert!(!screen.contains("check-in late"), "{screen}");
    assert!(screen.contains("chk 20m"), "{screen}");
}

#[test]
fn dashboard_opens_over_the_panes_and_follows_new_calls() {
    let mut b = bench().shift();
    b.keys("<A-d>");
    let screen = b.text(80, 24);
    assert!(screen.contains("Dashboard — last 24 hours"), "{screen}");
    assert!(screen.contains("Calls 4 (0 closed, 4 open)"), "{screen}");
    assert!(
        screen.contains("STAR-1"),
        "unit utilisation is listed: {screen}"
    );
    // A call taken while it is open is counted without re-reading the log.
    b.keys("call 9 Oak St / neighbour worried --type welfare<Enter>");
    assert!(b.text(80, 24).contains("Calls 5 (0 closed, 5 open)"));
    b.keys("<Esc>");
    assert!(!b.text(80, 24).contains("Dashboard"));
    insta::assert_snapshot!("dashboard_80x24", {
        b.keys("<A-d>");
        b.text(80, 24)
    });
}

/// A weapon call and a noise complaint, with a community team and a police unit free.
fn plan_bench(keymap: &str) -> Bench {
    let mut b = bench_with(keymap, "ansi16", ColorDepth::Ansi16, false);
    b.run(&[
        "unit add STAR-1 clinician,medic --zone d3",
        "unit add PD-7 police --zone d3",
        "call 300 Broadway / man with a knife in his bag, calm --type weapon --zone d3",
        "call 12 Elm St / loud music next door --type noise --zone d3",
    ]);
    b
}

fn unit_call(b: &Bench, unit: &str) -> Option<String> {
    b.app.state().units[&unit.parse().unwrap()]
        .call
        .as_ref()
        .map(ToString::to_string)
}

#[test]
fn ctrl_r_sends_the_whole_plan_and_says_why_a_plan_sends_nobody() {
    let mut b = plan_bench("default");
    // The weapon call (P1) is selected: its plan is a community team and a police unit.
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0001");
    let screen = b.text(80, 24);
    assert!(screen.contains("Rec  community team STAR-1"), "{screen}");
    assert!(screen.contains("Rec  police unit PD-7"), "{screen}");
    b.keys("<C-r>");
    assert_eq!(unit_call(&b, "STAR-1").as_deref(), Some("26-BA0001"));
    assert_eq!(unit_call(&b, "PD-7").as_deref(), Some("26-BA0001"));
    let said = b.app.ui.message.clone().unwrap().text;
    assert_eq!(
        said,
        "STAR-1 dispatched to 26-BA0001; PD-7 dispatched to 26-BA0001"
    );
    // The noise complaint, triaged clear, is information only: Ctrl-R says so and sends no one.
    b.keys("<C-n>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0002");
    b.keys("<C-t>nnnnnny<Esc>");
    let before = b.app.state().digest();
    b.keys("<C-r>");
    assert_eq!(b.app.state().digest(), before);
    let said = b.app.ui.message.clone().unwrap().text;
    assert!(
        said.starts_with("26-BA0002 sends no unit: it is worked as info (rule noise)"),
        "{said}"
    );
    insta::assert_snapshot!("plan_sends_nobody_80x24", b.text(80, 24));
}

#[test]
fn vim_r_sends_the_whole_plan_too() {
    let mut b = plan_bench("vim");
    b.keys("gg");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0001");
    b.keys("r");
    assert_eq!(unit_call(&b, "STAR-1").as_deref(), Some("26-BA0001"));
    assert_eq!(unit_call(&b, "PD-7").as_deref(), Some("26-BA0001"));
}

#[test]
fn a_plan_short_of_a_unit_says_which_on_the_screen() {
    let mut b = bench();
    b.run(&[
        "unit add STAR-1 clinician,medic",
        "call 300 Broadway / man with a knife in his bag, calm --type weapon",
    ]);
    let screen = b.text(80, 24);
    assert!(screen.contains("Rec  police unit: none free"), "{screen}");
    b.keys("<C-r>");
    assert_eq!(unit_call(&b, "STAR-1"), None, "nothing sent");
    let said = b.app.ui.message.clone().unwrap().text;
    assert!(
        said.starts_with("26-BA0001 co-response needs a police unit and none is free"),
        "{said}"
    );
    assert!(
        said.ends_with("rec 26-BA0001 --dispatch --partial"),
        "{said}"
    );
}

/// Issue 12 item 17: `ask 5 ` Tab offers the protocol's question ids, and then their answers.
#[test]
fn ask_completes_question_ids_and_answers() {
    let mut b = bench().shift();
    b.keys("ask 1 <Tab>");
    let line = b.app.ui.line.text.clone();
    let question = line.strip_prefix("ask 1 ").unwrap_or_default().trim();
    let protocol = switchboard::config::protocol::shipped();
    assert!(
        protocol.questions.iter().any(|q| q.id == question),
        "ask 1 Tab gave {line:?}"
    );
    b.keys(" <Tab>");
    let line = b.app.ui.line.text.clone();
    assert!(
        line.split_whitespace().count() == 4,
        "an answer follows the question: {line:?}"
    );
}
