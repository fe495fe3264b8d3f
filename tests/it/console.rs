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
    b.keys("<Esc><F2>300 Broadway<Tab><Tab>woman crying<Tab>Sam");
    insta::assert_snapshot!("intake_80x24", b.text(80, 24));
}

// Issue 12 item 17: the intake form completes the type, names the one bad field and keeps the
// rest, and takes a cross street and a zone as the command line does.

/// The form's fields, as typed so far.
fn form_fields(b: &Bench) -> Vec<String> {
    b.app.ui.form.fields.to_vec()
}

#[test]
fn the_intake_form_names_the_one_bad_field_and_keeps_the_rest() {
    use switchboard::console::app::IntakeForm;
    let mut b = bench();
    b.keys("<F2>1400 Colfax Ave<Tab><Tab>man with a knife, threatening<Tab>Jo<Tab>555-0101");
    // Down moves on without completing: the typo reaches Enter.
    b.keys("<Tab>welfair<Down>1<Enter>");
    // Not taken: the form stays, the Type field is named, focused and marked, all else kept.
    assert_eq!(b.app.ui.mode, Mode::Form);
    assert!(b.app.state().calls.is_empty());
    let said = b.app.ui.message.clone().expect("a refusal").text;
    assert!(
        said.starts_with("Type: unknown call type 'welfair'; did you mean 'welfare'?"),
        "{said}"
    );
    assert_eq!(b.app.ui.form.focus, IntakeForm::TYPE);
    assert_eq!(b.app.ui.form.bad, Some(IntakeForm::TYPE));
    insta::assert_snapshot!("intake_refused_80x24", b.text(80, 24));
    assert_eq!(
        form_fields(&b),
        [
            "1400 Colfax Ave",
            "",
            "man with a knife, threatening",
            "Jo",
            "555-0101",
            "welfair",
            "1",
            ""
        ]
    );
    // A bad priority is named the same way.
    b.keys("<BS><BS><BS><BS><BS><BS><BS>welfare<Tab><BS>9<Enter>");
    let said = b.app.ui.message.clone().expect("a refusal").text;
    assert!(said.starts_with("Priority: "), "{said}");
    assert_eq!(b.app.ui.form.focus, IntakeForm::PRIORITY);
    // Fixed, the call is taken with everything typed.
    b.keys("<BS>1<Enter>");
    assert_eq!(b.app.ui.mode, Mode::Command, "{:?}", b.app.ui.message);
    let call = b.app.state().calls.values().next().expect("taken").clone();
    assert_eq!(call.location, "1400 Colfax Ave");
    assert_eq!(call.nature, "man with a knife, threatening");
    assert_eq!(call.caller.as_deref(), Some("Jo"));
    assert_eq!(call.priority.get(), 1);
    assert_eq!(
        call.call_type.map(switchboard::domain::CallType::word),
        Some("welfare")
    );
}

#[test]
fn tab_completes_the_intake_forms_type_then_moves_on() {
    use switchboard::console::app::IntakeForm;
    let mut b = bench();
    b.keys("<F2><Tab><Tab><Tab><Tab><Tab>bh-cr");
    assert_eq!(b.app.ui.form.focus, IntakeForm::TYPE);
    // The candidates show while the type is begun.
    let screen = b.text(80, 24);
    assert!(screen.contains("Tab: bh-crisis"), "{screen}");
    insta::assert_snapshot!("intake_type_begun_80x24", screen);
    b.keys("<Tab>");
    assert_eq!(b.app.ui.form.fields[IntakeForm::TYPE], "bh-crisis");
    assert_eq!(
        b.app.ui.form.focus,
        IntakeForm::PRIORITY,
        "Tab completed the type and moved on in one press"
    );
    // Fuzzy, as on the command line: `wlf` is the welfare type.
    b.keys("<Up>");
    for _ in 0.."bh-crisis".len() {
        b.keys("<BS>");
    }
    b.keys("wlf<Tab>");
    let typed = b.app.ui.form.fields[IntakeForm::TYPE].clone();
    let line = switchboard::command::complete("call x / y --type wlf", b.app.state());
    assert_eq!(typed, "welfare");
    assert_eq!(typed, line[0].word, "the command line's first candidate");
}

/// Found working the form at 80×24: a type, Tab, a priority, Tab, a zone. Tab used to complete
/// the type and stay, so the priority went on the end of the type and the next Tab completed it
/// away; the zone followed it into Type.
#[test]
fn a_type_tab_priority_tab_zone_fills_each_field() {
    use switchboard::console::app::IntakeForm;
    let mut b = bench();
    b.keys("<F2>Main St<Tab>5th Ave<Tab>man with a knife threatening people<Tab>Ana<Tab>555-0199");
    b.keys("<Tab>bh-crsis<Tab>P1<Tab>capitol-hill-north");
    assert_eq!(
        form_fields(&b)[IntakeForm::TYPE..],
        ["bh-crisis", "P1", "capitol-hill-north"]
    );
    b.keys("<Enter>");
    assert_eq!(b.app.ui.mode, Mode::Command, "{:?}", b.app.ui.message);
    let call = b.app.state().calls.values().next().expect("taken").clone();
    assert_eq!(call.location, "Main St / 5th Ave");
    assert_eq!(call.priority.get(), 1);
    assert_eq!(call.zone.as_deref(), Some("capitol-hill-north"));
    assert_eq!(
        call.call_type.map(switchboard::domain::CallType::word),
        Some("bh-crisis")
    );
}

#[test]
fn the_intake_form_takes_a_cross_street_and_a_zone_as_the_command_line_does() {
    let mut b = bench();
    b.keys(
        "<F2>N 60th St<Tab>W Capitol Dr<Tab>man down in the road<Tab><Tab><Tab><Tab><Tab>d6<Enter>",
    );
    assert_eq!(b.app.ui.mode, Mode::Command, "{:?}", b.app.ui.message);
    b.run(&["call N 60th St / W Capitol Dr / man down in the road --zone d6"]);
    let calls: Vec<_> = b.app.state().calls.values().cloned().collect();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.location, "N 60th St / W Capitol Dr");
        assert_eq!(call.nature, "man down in the road");
        assert_eq!(call.zone.as_deref(), Some("d6"));
    }
    // A numbered address is placed by its number: a cross street beside it is refused, named.
    b.keys("<F2>1400 Colfax Ave<Tab>Pearl St<Tab>man shouting<Enter>");
    assert_eq!(b.app.ui.mode, Mode::Form);
    let said = b.app.ui.message.clone().expect("a refusal").text;
    assert!(said.starts_with("Cross street: "), "{said}");
    assert_eq!(b.app.state().calls.len(), 2);
}

#[test]
fn a_call_taken_dispatched_worked_and_closed_by_keys() {
    let mut b = bench();
    b.run(&[
        "unit add STAR-1 clinician,medic",
        "unit add STAR-2 peer,emt",
    ]);
    // Intake form: location, cross street, nature, caller, callback, type, priority, zone.
    b.keys("<F2>300 Broadway<Tab><Tab>woman crying in bus shelter<Tab>Sam<Tab>555-0199<Tab>welfare<Tab>2<Enter>");
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
    assert!(b.text(80, 24).contains("waiting long: 26-BA0004"));
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
    assert!(screen.contains("check-in late: STAR-2"), "{screen}");
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
    // At 64 columns the figures wrap: the last one is still whole.
    let small = b.text(64, 16);
    assert!(small.contains("call -/-"), "{small}");
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
    // The selection supplied the call: the confirmation names it.
    assert_eq!(
        said,
        "STAR-1 dispatched to 26-BA0001; PD-7 dispatched to 26-BA0001 \
         (selected call 26-BA0001: P1 weapon, 300 Broadway)"
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

// ---- issue 12: a real shift on the console --------------------------------------------------

/// The details pane alone as drawn at 80×24 (40×12), its rows joined by spaces.
fn details_flat(b: &mut Bench, width: u16, height: u16) -> String {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;
    use switchboard::console::view::details::DetailsView;
    b.app.refresh_chronology();
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    DetailsView::new(&b.app, b.app.now_ms()).render(area, &mut buf);
    let rows: Vec<String> = (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect();
    rows.join(" ")
}

/// Everything a key can change: the store, and what the console shows and was asked to do.
fn observe(app: &App) -> String {
    // Messages kept for `messages` are recorded per key, not per command run.
    let mut ui = app.ui.clone();
    ui.messages.clear();
    format!("{} {:?}", app.state().digest(), ui)
}

/// The shift with the second call and the second unit selected and a hint on the message
/// line, so that every binding (first/last, next/prev, Esc) has something to change.
fn binding_bench(keymap: &str, mode: Mode) -> Bench {
    let mut b = bench_with(keymap, "ansi16", ColorDepth::Ansi16, false).shift();
    b.app.run("select call next", false);
    b.app.run("select unit next", false);
    b.app.run("peers", false);
    b.app.ui.mode = mode;
    b
}

#[test]
fn every_binding_in_every_shipped_keymap_does_what_it_runs() {
    use crossterm::event::KeyEvent;
    let mut checked = 0;
    for keymap in ["default", "vim"] {
        let map = Keymap::preset(keymap).unwrap();
        for mode in Mode::ALL {
            for binding in map.bindings(mode) {
                let what = format!("{keymap} {mode} {} ({})", binding.keys(), binding.run);
                let before = observe(&binding_bench(keymap, mode).app);
                let mut pressed = binding_bench(keymap, mode);
                for key in &binding.on {
                    pressed.app.key(KeyEvent::new(key.code, key.modifiers));
                }
                let mut ran = binding_bench(keymap, mode);
                ran.app.run(&binding.run, false);
                let (pressed, ran) = (observe(&pressed.app), observe(&ran.app));
                assert_ne!(pressed, before, "{what}: pressing it changed nothing");
                assert_eq!(pressed, ran, "{what}: pressing it is not running it");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} bindings");
}

#[test]
fn modified_home_end_and_arrows_reach_the_keymap_not_the_line() {
    let mut b = bench().shift();
    b.keys("backup 7 ems<Enter>");
    b.keys("<C-u>");
    // Ctrl-End / Ctrl-Home: last / first call.
    b.keys("<C-End>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0003");
    b.keys("<C-Home>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0004");
    // Alt-Down / Alt-Up: next / previous unit, and history stays off the line.
    let first = b.app.selected_unit().unwrap().callsign.to_string();
    b.keys("<A-Down>");
    let second = b.app.selected_unit().unwrap().callsign.to_string();
    assert_ne!(first, second);
    b.keys("<A-Up>");
    assert_eq!(b.app.selected_unit().unwrap().callsign.as_str(), first);
    assert_eq!(b.app.ui.line.text, "", "nothing recalled onto the line");
    // Plain Up still recalls.
    b.keys("<Up>");
    assert_eq!(b.app.ui.line.text, "backup 7 ems");
}

#[test]
fn a_refused_line_is_replaced_by_the_next_command_not_added_to() {
    let mut b = bench().shift();
    b.keys("ons STAR-9<Enter>");
    assert_eq!(b.app.ui.line.text, "ons STAR-9", "kept for editing");
    assert!(b.text(80, 24).contains("> ons STAR-9"));
    // The next command typed starts a new line and runs.
    b.keys("ons STAR-2<Enter>");
    assert_eq!(
        b.app.state().units[&"STAR-2".parse().unwrap()].status,
        UnitStatus::OnScene
    );
    assert_eq!(b.app.ui.line.text, "");
    // Eight refusals in a row never pile onto one another.
    for _ in 0..8 {
        b.keys("avl STAR-9<Enter>");
        assert_eq!(b.app.ui.line.text, "avl STAR-9");
    }
    // An editing key first edits the refused line instead.
    b.keys("<BS>3<Enter>");
    assert_eq!(
        b.app.state().units[&"STAR-3".parse().unwrap()].status,
        UnitStatus::Available
    );
    let said = b.app.ui.message.clone().unwrap().text;
    assert!(!said.contains("STAR-9"), "{said}");
}

#[test]
fn help_scroll_stops_at_its_ends() {
    let mut b = bench().shift();
    b.keys("<F1>");
    let top = b.text(80, 24);
    b.keys(&"<PageDown>".repeat(30));
    let bottom = b.text(80, 24);
    let max = b.app.ui.help_scroll;
    assert!(max > 0 && max < 300, "{max}");
    // One PageUp moves at once, and ten are back at the top.
    b.keys("<PageUp>");
    assert_ne!(b.text(80, 24), bottom);
    b.keys(&"<PageUp>".repeat(9));
    assert_eq!(b.app.ui.help_scroll, max.saturating_sub(100));
    b.keys(&"<Up>".repeat(max as usize));
    assert_eq!(b.text(80, 24), top);
}

#[test]
fn the_peer_slot_is_blank_without_peers() {
    let mut b = bench().shift();
    let terminal = b.screen(80, 24);
    let buf = terminal.backend().buffer();
    // Queue rows are y 3..7; the slot is right after the id, at x 10.
    for y in 3..7 {
        let cell = &buf[(10, y)];
        assert_eq!(cell.symbol(), " ");
        assert!(
            !cell.modifier.contains(ratatui::style::Modifier::REVERSED),
            "row {y}: {cell:?}"
        );
        // In the row's own style, as the cell before it.
        let before = &buf[(9, y)];
        assert_eq!(
            (cell.fg, cell.modifier),
            (before.fg, before.modifier),
            "row {y}"
        );
    }
}

#[test]
fn a_cleared_call_reads_cleared() {
    let mut b = bench().shift();
    b.keys("avl STAR-1<Enter>");
    b.keys("<C-n>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0001");
    let screen = b.text(80, 24);
    assert!(screen.contains("ago) cleared"), "{screen}");
    assert!(!screen.contains("on scene\n"), "{screen}");
    assert!(screen.contains("CLRD"), "{screen}");
}

#[test]
fn a_wrong_unit_is_refused_for_what_it_is() {
    let mut b = bench().shift();
    let before = b.app.state().digest();
    for line in ["dp STAR-9 3", "ons STAR-9", "dp STAR-9"] {
        b.keys(&format!("{line}<Enter>"));
        let said = b.app.ui.message.clone().unwrap().text;
        assert!(said.contains("no unit STAR-9"), "{line}: {said}");
        assert!(!said.contains("argument"), "{line}: {said}");
        b.keys("<C-u>");
    }
    assert_eq!(b.app.state().digest(), before);
    // A unit typed alone goes to the selected call, and the confirmation says which.
    b.keys("dp STAR-3<Enter>");
    let said = b.app.ui.message.clone().unwrap().text;
    assert_eq!(
        said,
        "STAR-3 dispatched to 26-BA0004 (selected call 26-BA0004: P1 overdose, 2200 Larimer St)"
    );
    // Typed words are never moved to make room for the selection.
    b.keys("close resolved<Enter>");
    let said = b.app.ui.message.clone().unwrap().text;
    assert!(said.starts_with("STAR-3 still on 26-BA0004"), "{said}");
    b.keys("<C-u>note 1 \"STAR-9\" was mentioned<Enter>");
    let notes = &b.app.state().calls[&"26-BA0001".parse().unwrap()].notes;
    assert_eq!(notes.last().unwrap().text, "STAR-9 was mentioned");
}

/// Eleven open calls: four P1s (one a pending knife call), the rest lower and mixed.
fn busy_bench() -> Bench {
    let mut b = bench();
    b.run(&[
        "unit add STAR-1 clinician,medic --zone d1",
        "unit add STAR-2 clinician,emt --zone d2",
        "unit add STAR-3 peer,emt --zone d3",
        "unit add STAR-4 clinician,medic --zone d4",
        "unit add PD-1 police --zone d1",
        "call 1 Main St / overdose, not breathing --type overdose --pri 1",
        "call 2 Main St / man on a bridge railing --type suicide --pri 1",
        "call 3 Main St / fall from ladder --pri 1",
        "call 4 Main St / man waving a knife in the lobby --type weapon --pri 1",
        "call 5 Main St / woman crying, will not say why --type welfare --pri 2",
        "call 6 Main St / neighbour shouting --type bh-crisis --pri 2",
        "call 7 Main St / tent blocking a doorway --type unsheltered --pri 3",
        "call 8 Main St / man asleep at bus stop --type welfare --pri 3",
        "call 9 Main St / request for shelter info --type welfare --pri 4",
        "call 10 Main St / lost wallet --pri 4",
        "dp STAR-1 1",
        "dp STAR-2 2",
        "dp PD-1 3",
        "dp STAR-4 5",
        "ons STAR-4",
    ]);
    b
}

#[test]
fn the_queue_keeps_urgent_pending_calls_in_view() {
    let mut b = busy_bench();
    // Taking a P4 selects it, at the bottom of the queue.
    b.keys("call 11 Main St / noise complaint --pri 4<Enter>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0011");
    let screen = b.text(80, 24);
    assert!(screen.contains(">26-BA0011"), "{screen}");
    // The pending knife call (P1) and the next pending calls stay pinned at the top.
    assert!(screen.contains(" 26-BA0004 1 weapon      PEND"), "{screen}");
    assert!(screen.contains(" 26-BA0006 2"), "{screen}");
    assert!(
        screen.contains("Queue 11 open, 7 pending, 6 above, 0 below"),
        "{screen}"
    );
    assert!(screen.contains("6 more above"), "{screen}");
    insta::assert_snapshot!("queue_pinned_80x24", screen);
    // At the top of the queue, the count is of what is below.
    b.keys("<C-Home>");
    let screen = b.text(80, 24);
    assert!(screen.contains(", 0 above, "), "{screen}");
    insta::assert_snapshot!("queue_pinned_120x40", b.text(120, 40));
}

#[test]
fn selection_keys_follow_the_queue_rows_as_drawn() {
    let mut b = busy_bench();
    b.keys("call 11 Main St / noise complaint --pri 4<Enter>");
    let screen = b.text(80, 24);
    // The calls in the order the rows show them, the pinned band first.
    let rows: Vec<String> = screen
        .lines()
        .filter_map(|l| {
            l.trim_matches('"')
                .get(1..)
                .filter(|r| r.starts_with("26-BA"))
        })
        .map(|r| r.split_whitespace().next().unwrap_or("").to_owned())
        .collect();
    assert!(rows.len() >= 4, "{screen}");
    // First call is the top row (a pinned pending call), last call the bottom row.
    b.keys("<C-Home>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), rows[0]);
    b.keys("<C-End>");
    let _ = b.text(80, 24);
    assert_eq!(
        b.app.selected_call().unwrap().id.as_str(),
        rows.last().unwrap()
    );
    // Next from the top walks down the rows on screen, not the queue's own order.
    b.keys("<C-Home>");
    for row in &rows[1..3] {
        b.keys("<C-n>");
        assert_eq!(b.app.selected_call().unwrap().id.as_str(), row);
    }
}

#[test]
fn the_chronology_shows_its_newest_lines() {
    let mut b = bench().shift();
    b.run(&[
        "note 26-BA0001 brother on the way",
        "note 26-BA0001 calmer now, sitting on the kerb",
        "ok STAR-1",
        "note 26-BA0001 agrees to talk to the clinician",
        "ok STAR-1",
    ]);
    b.keys("<C-n>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0001");
    b.app.refresh_chronology();
    let newest = b.app.chronology().last().unwrap().body.describe();
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = b.text(w, h);
        let tail: String = newest.chars().take(20).collect();
        assert!(
            screen.contains(&tail),
            "{w}x{h} lacks {newest:?}:\n{screen}"
        );
        // Older entries are out of view, and the pane says which key shows them.
        assert!(
            screen.contains("older, <A-w> shows all"),
            "{w}x{h}:\n{screen}"
        );
    }
    insta::assert_snapshot!("chronology_newest_80x24", b.text(80, 24));
    insta::assert_snapshot!("chronology_newest_120x40", b.text(120, 40));
}

#[test]
fn ascii_mode_has_an_ascii_form_for_every_glyph() {
    // Every pane and overlay, drawn once in UTF-8 and once in ASCII: wherever UTF-8 drew a
    // glyph, ASCII draws a form of it, never `?`.
    let mut b = bench_with("default", "ansi16", ColorDepth::Mono, false).shift();
    b.run(&["note 26-BA0001 knife in the kitchen --caution"]);
    let screens: &[(&str, &str)] = &[
        ("panes", ""),
        ("help", "<F1>"),
        ("intake", "<Esc><F2>300 Broadway"),
        ("dashboard", "<Esc><A-d>"),
        ("map", "<Esc><A-m>"),
        ("messages", "<Esc>nope<Enter><A-e>"),
        ("triage", "<Esc><C-u><C-t>"),
    ];
    for (name, keys) in screens {
        b.keys(keys);
        b.app.options.ascii = false;
        let wide = b.screen(80, 24).backend().buffer().clone();
        b.app.options.ascii = true;
        let narrow = b.screen(80, 24).backend().buffer().clone();
        for (w, n) in wide.content().iter().zip(narrow.content()) {
            assert!(n.symbol().is_ascii(), "{name}: {:?}", n.symbol());
            if !w.symbol().is_ascii() {
                assert_ne!(
                    n.symbol(),
                    "?",
                    "{name}: no ASCII form for {:?}",
                    w.symbol()
                );
            }
        }
        insta::assert_snapshot!(format!("ascii_{name}_80x24"), b.text(80, 24));
    }
}

#[test]
fn triage_shows_each_question_whole_and_the_choices_of_l() {
    let mut b = bench().shift();
    b.keys("<C-t>");
    let pane = details_flat(&mut b, 40, 12);
    assert!(
        pane.contains("Violence or threats to others now?"),
        "{pane}"
    );
    b.keys("l");
    let pane = details_flat(&mut b, 40, 12);
    assert!(pane.contains("(1 inside, 2 outside, 3 vehicle)"), "{pane}");
    let screen = b.text(80, 24);
    insta::assert_snapshot!("triage_whole_80x24", screen);
    // A choice answered shows what was chosen on the compact line.
    b.keys("3<Esc>");
    assert!(b.text(80, 24).contains("l=vehicle"));
}

#[test]
fn decision_lines_wrap_instead_of_being_cut() {
    let mut b = bench();
    b.run(&[
        "unit add STAR-3 peer,emt --zone d3",
        "unit add STAR-4 clinician,medic --zone d2",
        "oos STAR-4 vehicle check at the garage on 5th",
        "call 300 Broadway / woman crying in a bus shelter --type welfare --zone d3",
    ]);
    let screen = b.text(80, 24);
    // The Rec line's reason whole, over as many rows as it takes.
    let call = b.app.selected_call().unwrap().clone();
    let _ = call;
    assert!(
        !screen.contains("Rec  community team STAR-3: emt+peer, d…"),
        "{screen}"
    );
    assert!(screen.contains("(no"), "{screen}");
    // An out-of-service reason is whole under its unit while the unit is selected.
    b.keys("<A-n>");
    assert_eq!(b.app.selected_unit().unwrap().callsign.as_str(), "STAR-4");
    let screen = b.text(80, 24);
    assert!(screen.contains("garage on 5th"), "{screen}");
    insta::assert_snapshot!("oos_reason_whole_80x24", screen);
}

#[test]
fn the_address_history_names_calls_dates_and_cautions() {
    let mut b = bench();
    b.run(&[
        "unit add STAR-1 clinician,medic",
        "call 9 Oak St / man yelling in the yard --type bh-crisis",
        "note 1 dog in the yard, bites --caution",
        "dp STAR-1 1",
        "avl STAR-1",
        "close 1 resolved",
    ]);
    b.clock.advance(2 * 86_400_000);
    b.run(&["call 9 Oak St / same man, shouting again --type bh-crisis"]);
    b.run(&["call 9 Oak St / neighbour calls about him too --type bh-crisis"]);
    b.keys("<C-End>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0003");
    let screen = b.text(80, 24);
    let flat = details_flat(&mut b, 40, 20);
    assert!(flat.contains("2 earlier calls here: 26-BA0002"), "{screen}");
    assert!(flat.contains("open, pending"), "{screen}");
    assert!(flat.contains("26-BA0001 Nov 27 10:00 resolved"), "{screen}");
    assert!(
        flat.contains("CAUTION dog in the yard, bites (26-BA0001"),
        "{screen}"
    );
    insta::assert_snapshot!("address_history_80x24", screen);
}

#[test]
fn alarms_name_their_calls_and_units_and_a_key_visits_them() {
    let mut b = bench().shift();
    // STAR-2 on scene too: 30 minutes en route would be an alarm of its own (unit_timers.rs),
    // and three kinds of alarm leave no room for names at 80 columns.
    b.run(&["dp STAR-3 3", "ons STAR-3", "ons STAR-2"]);
    b.clock.advance(25 * 60_000);
    let screen = b.text(80, 24);
    assert!(screen.contains("waiting long: 26-BA0004"), "{screen}");
    assert!(screen.contains("check-in late: STAR-"), "{screen}");
    // Alt-G goes to the next alarm's call, then its units, round the list.
    b.keys("<C-n><C-n>");
    b.keys("<A-g>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0004");
    b.keys("<A-g>");
    let late = b.app.alarms(b.app.now_ms()).late;
    assert_eq!(b.app.selected_unit().unwrap().callsign, late[0].0);
    assert_eq!(
        b.app.selected_call().unwrap().id.to_string(),
        b.app
            .selected_unit()
            .unwrap()
            .call
            .as_ref()
            .unwrap()
            .to_string()
    );
    // vim's `!` is the same key.
    let mut v = bench_with("vim", "ansi16", ColorDepth::Ansi16, false).shift();
    v.clock.advance(25 * 60_000);
    v.keys("G!");
    assert_eq!(v.app.selected_call().unwrap().id.as_str(), "26-BA0004");
    insta::assert_snapshot!("alarms_named_80x24", b.text(80, 24));
}

#[test]
fn the_last_messages_can_be_read_again() {
    let mut b = bench().shift();
    b.keys("ok STAR-3<Enter>");
    let refusal = b.app.ui.message.clone().unwrap().text;
    // The next event overwrites the message line; the refusal is still there to read.
    b.keys("<C-u>enr STAR-2<Enter>");
    b.keys("note 1 he is asleep now<Enter>");
    assert_ne!(b.app.ui.message.clone().unwrap().text, refusal);
    b.keys("<A-e>");
    let screen = b.text(80, 24);
    assert!(screen.contains("Messages: the last 3"), "{screen}");
    assert!(screen.contains(&refusal[..30]), "{screen}");
    insta::assert_snapshot!("messages_80x24", screen);
    b.keys("<Esc>");
    assert!(!b.text(80, 24).contains("Messages: the last"));
    // A refusal longer than the line says which key shows it whole.
    b.keys("ons STAR-9<Enter>");
    assert!(b.app.ui.message.clone().unwrap().text.chars().count() > 64);
    let screen = b.text(64, 16);
    assert!(
        screen.contains("~ (<A-e> shows all)") || screen.contains("… (<A-e> shows all)"),
        "{screen}"
    );
}

#[test]
fn queue_columns_hold_past_9999_calls() {
    use switchboard::domain::{Body, CallId, Priority};
    let mut b = bench().shift();
    b.app
        .desk
        .commit_planned(vec![Body::CallCreated {
            call: CallId::mint(2026, "RZ", 10676),
            location: "9 Elm St".into(),
            coords: None,
            nature: "caller worried about a neighbour".into(),
            call_type: None,
            priority: Priority::try_from(2).unwrap(),
            caller: None,
            callback: None,
            zone: None,
            started_ms: None,
            civic: None,
            placed: None,
        }])
        .unwrap();
    let screen = b.text(80, 24);
    let lines: Vec<&str> = screen.lines().collect();
    let header = lines.iter().find(|l| l.contains(" ID ")).unwrap();
    let p = header.find(" P ").unwrap() + 1;
    let rows: Vec<&&str> = lines
        .iter()
        .filter(|l| l.get(2..5) == Some("26-"))
        .collect();
    assert!(rows.iter().any(|r| r.contains("26-RZ10676")), "{screen}");
    for row in rows {
        let c = row.as_bytes()[p] as char;
        assert!(
            ('1'..='4').contains(&c),
            "priority out of its column in {row:?}:\n{screen}"
        );
    }
    insta::assert_snapshot!("queue_wide_ids_80x24", screen);
}

#[test]
fn the_roster_fits_its_room_and_says_what_is_below() {
    let mut b = bench().shift();
    b.run(&[
        "unit add STAR-5 clinician --zone d4",
        "unit add STAR-6 peer --zone d5",
        "unit add STAR-7 medic --zone d6",
        "dp STAR-5 26-BA0003",
    ]);
    let small = b.text(64, 16);
    assert!(small.contains("more below"), "{small}");
    // No room for what the selected unit can do or its zone: they are whole under it.
    assert!(small.contains("   emt, peer; zone d1"), "{small}");
    // With the dispatched unit selected, its call id shows whole.
    b.keys("<A-n><A-n><A-n>");
    assert_eq!(b.app.selected_unit().unwrap().callsign.as_str(), "STAR-5");
    let small = b.text(64, 16);
    // Call ids whole, never `26-Z`-style stubs.
    for id in ["26-BA0001", "26-BA0002", "26-BA0003"] {
        let shown = small.matches(id).count();
        assert!(shown > 0, "{id} missing:\n{small}");
    }
    assert!(!small.contains("26-B\""), "{small}");
    insta::assert_snapshot!("roster_64x16", small);
    let wide = b.text(120, 40);
    // With room, the timer and the capabilities both show, and every unit is listed.
    assert!(wide.contains("chk "), "{wide}");
    assert!(wide.contains("CL+MD d6"), "{wide}");
    assert!(!wide.contains("more below"), "{wide}");
    insta::assert_snapshot!("roster_120x40", wide);
}

/// Found at 80×24: a details line that fills its pane ran into the roster's group heading
/// beside it (`threatening peopleONS on scene`). Every roster row keeps its first column for
/// the selection mark or a blank, so the two panes never read as one line.
#[test]
fn the_roster_never_runs_into_the_details_beside_it() {
    let mut b = bench().shift();
    // A nature exactly as wide as the details pane's row at 80 columns, beside a heading.
    b.run(&["call 9 Elm St / man with a knife threatening people --type bh-crisis"]);
    for (w, h) in [(80, 24), (120, 40), (64, 16)] {
        for _ in 0..5 {
            let screen = b.text(w, h);
            let rows: Vec<Vec<char>> = screen
                .lines()
                .map(|l| l.trim_matches('"').chars().collect())
                .collect();
            let (top, x) = rows
                .iter()
                .enumerate()
                .find_map(|(y, r)| {
                    let text: String = r.iter().collect();
                    text.find(" Roster ")
                        .map(|at| (y, text[..at].chars().count()))
                })
                .expect("the roster's title");
            for row in &rows[top + 1..rows.len() - 2] {
                let text: String = row.iter().collect();
                assert!(
                    matches!(row.get(x), None | Some(' ' | '>')),
                    "at {w}x{h}, column {x} of {text:?} touches the pane beside it:\n{screen}"
                );
            }
            b.keys("<C-n>");
        }
    }
}

/// Issue 12 item 19: `who` says who is at the desk; a console alone on its own desk says how
/// to share it (the shared desk's list is in `pty::operators_on_a_shared_desk_see_each_other`).
#[test]
fn who_says_who_is_at_the_desk_and_how_to_share_it() {
    let mut b = bench();
    b.keys("who<Enter>");
    let said = b.app.ui.message.clone().expect("an answer").text;
    assert_eq!(
        said,
        "ct-rivera alone on this desk; to share it: switchboard serve, or --listen"
    );
    // Whole on the message line at 80 columns.
    assert!(b.text(80, 24).contains(&said));
    b.run(&["on"]);
    b.keys("who<Enter>");
    let said = b.app.ui.message.clone().expect("an answer").text;
    assert!(said.ends_with("signed on: ct-rivera since 10:00"), "{said}");
    // A demo console points at serving the demo's dir, not at --listen, which demo lacks.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Demo, Some(ReplicaId(1))).unwrap();
    let desk = Desk::open(store, Box::new(ManualClock::at(T0)), "ct-rivera").unwrap();
    let mut demo = crate::common::keys::console(desk, "default");
    crate::common::keys::press(&mut demo, "who<Enter>");
    let said = demo.ui.message.clone().expect("an answer").text;
    assert!(said.contains("switchboard serve on its data dir"), "{said}");
    assert!(!said.contains("--listen"), "{said}");
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

// ---- issue 15: hand-offs from the keys -----------------------------------------------------

/// Takes the 911 hand-over fixture as incident `n`: a pending call handed in by its centre.
fn handed_in(b: &mut Bench, n: u32) -> switchboard::domain::CallId {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/eido/handover-from-911.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["$id"] = serde_json::json!(format!(
        "urn:emergency:uid:incidentid:2026-00{n}:psap.millbrook.example"
    ));
    let h = switchboard::report::eido::import(&doc.to_string(), "handover.json").unwrap();
    b.clock.advance(20_000);
    let (_, events) = b.app.desk.take_handover(&h).unwrap();
    events
        .iter()
        .find_map(|e| match &e.body {
            switchboard::domain::Body::CallCreated { call, .. } => Some(call.clone()),
            _ => None,
        })
        .unwrap()
}

fn select_call(b: &mut Bench, id: &switchboard::domain::CallId) {
    b.app.run("select call first", false);
    for _ in 0..10 {
        if b.app.selected_call().is_some_and(|c| &c.id == id) {
            return;
        }
        b.app.run("select call next", false);
    }
    panic!("{id} is not in the queue");
}

/// The stage of a call's hand-off in one direction, and its reason.
fn handoff_of(
    b: &Bench,
    id: &switchboard::domain::CallId,
    direction: switchboard::domain::Direction,
) -> Option<(switchboard::domain::Stage, Option<String>, String)> {
    let c = &b.app.state().calls[id];
    c.handoffs
        .iter()
        .find(|h| h.direction == direction)
        .map(|h| (c.handoff_stage(h), h.detail.clone(), h.partner.clone()))
}

#[test]
fn hand_offs_are_accepted_rejected_and_transferred_from_the_keys_of_both_keymaps() {
    use switchboard::domain::{Direction, Stage};
    for (keymap, prefix) in [("default", "<C-x>"), ("vim", "<Space>")] {
        let mut b = bench_with(keymap, "ansi16", ColorDepth::Ansi16, false);
        let first = handed_in(&mut b, 81);
        let second = handed_in(&mut b, 82);
        // One of this desk's own: accepting it is refused in one line, and nothing changes.
        b.app
            .desk
            .execute_line("call 9 Elm St / welfare check")
            .unwrap();
        let own = b.app.state().calls.keys().max().unwrap().clone();
        select_call(&mut b, &own);
        let before = b.app.state().digest();
        b.keys(&format!("{prefix}a"));
        let said = b.app.ui.message.clone().unwrap().text;
        assert!(
            said.ends_with("was not handed in by a partner; only a hand-off can be accepted"),
            "{keymap}: {said}"
        );
        assert_eq!(b.app.state().digest(), before, "{keymap}");

        select_call(&mut b, &first);
        b.keys(&format!("{prefix}a"));
        assert_eq!(
            handoff_of(&b, &first, Direction::In).map(|h| h.0),
            Some(Stage::Accepted),
            "{keymap}: accept"
        );
        // The details pane shows where the hand-off stands.
        let text = b.text(120, 40);
        assert!(
            text.lines()
                .any(|l| l.contains("Xfer") && l.contains("from ") && l.contains(" accepted")),
            "{keymap}: no hand-off line in the details\n{text}"
        );

        select_call(&mut b, &second);
        b.keys(&format!("{prefix}r"));
        assert_eq!(b.app.ui.line.text, "reject ", "{keymap}");
        b.keys("not our area, east of the river<Enter>");
        assert_eq!(
            handoff_of(&b, &second, Direction::In).map(|h| (h.0, h.1)),
            Some((
                Stage::Rejected,
                Some("not our area, east of the river".into())
            )),
            "{keymap}: reject"
        );
        assert_eq!(b.app.state().calls[&second].status, CallStatus::Closed);
        b.keys("<Esc>");

        select_call(&mut b, &first);
        b.keys(&format!("{prefix}x"));
        assert_eq!(b.app.ui.line.text, "transfer ", "{keymap}");
        b.keys("metro<Enter>");
        assert_eq!(
            handoff_of(&b, &first, Direction::Out),
            Some((Stage::Sent, None, "metro".into())),
            "{keymap}: transfer"
        );
    }
}

/// Issue 12 item 17: after F4 (`close `), a disposition begun completes with the call left for
/// the selection, and Enter closes the selected call with it.
#[test]
fn close_after_f4_completes_the_disposition_and_closes_the_selected_call() {
    let mut b = bench().shift();
    let selected = b.app.selected_call().expect("a call").id.clone();
    b.keys("<F4>hosp<Tab>");
    assert_eq!(b.app.ui.line.text, "close hospital");
    b.keys("<Enter>");
    let call = &b.app.state().calls[&selected];
    assert!(!call.is_open(), "{:?}", b.app.ui.message);
    assert_eq!(call.disposition, Some(Disposition::Hospital));
}

// Issue 12 item 20: start-up problems never hide each other.

#[test]
fn every_start_up_problem_shows_whole_a_broken_keymap_and_theme_together() {
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir(config.path().join("keymaps")).unwrap();
    std::fs::create_dir(config.path().join("themes")).unwrap();
    // Three problems in one keymap, and one in a theme.
    std::fs::write(
        config.path().join("keymaps/mine.toml"),
        "extends = \"default\"\n\
         comand = [ { on = \"<F12>\", run = \"help\", desc = \"Help\" } ]\n\
         command = [\n  \
           { on = \"<PgDown>\", run = \"select call next\", desc = \"Next call\" },\n  \
           { on = \"<F11>\", run = \"dispach\", desc = \"Dispatch\" },\n\
         ]\n",
    )
    .unwrap();
    std::fs::write(
        config.path().join("themes/mine.toml"),
        "inherits = \"ansi16\"\n[scopes]\n\"roster.status.avl\" = { fg = \"yelow\" }\n\
         \"queue.rwo\" = \"red\"\n",
    )
    .unwrap();
    // As the console gathers them before it opens.
    let (keymap, mut problems) = Keymap::load("mine", Some(config.path()));
    let theme =
        Theme::load_all("mine", Some(config.path()), ColorDepth::Ansi16).unwrap_or_else(|all| {
            problems.extend(all.iter().map(ToString::to_string));
            Theme::default_for(ColorDepth::Ansi16)
        });
    assert_eq!(
        problems.len(),
        6,
        "three, the keymap's summary, the theme's two: {problems:#?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(T0);
    let desk = Desk::open(store, Box::new(clock.clone()), "ct-rivera").unwrap();
    let mut app = App::new(desk, keymap, theme, Options::default(), &problems);
    // Each is kept whole, and the list is open at start over the panes.
    let kept: Vec<&str> = app
        .ui
        .messages
        .iter()
        .map(|(_, m)| m.text.as_str())
        .collect();
    assert_eq!(
        kept,
        problems.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(app.ui.messages_open);
    let line = app.ui.message.clone().expect("a message").text;
    assert!(line.starts_with("6 problems"), "{line}");
    let screen = crate::common::keys::text(&mut app, 80, 24);
    for word in [
        "comand",
        "PgDown",
        "dispach",
        "yelow",
        "using the preset default",
    ] {
        assert!(screen.contains(word), "{word} not on screen:\n{screen}");
    }
    // Esc closes the list; the console is as usual under it.
    crate::common::keys::press(&mut app, "<Esc>");
    assert!(!app.ui.messages_open);
}

/// Issue 12 item 11: what the roster has no room for is marked, and whole under the selected
/// unit; the details pane names the key that shows the call whole, and that view has every line,
/// note and chronology entry, scrolling to its ends.
#[test]
fn what_a_pane_cuts_is_marked_and_a_key_shows_it_whole() {
    let mut b = bench().shift();
    // On scene, the check-in timer leaves no room for STAR-1's capabilities and zone: marked.
    let screen = b.text(80, 24);
    let row = screen
        .lines()
        .find(|l| l.contains("STAR-1 ONS"))
        .unwrap()
        .to_owned();
    assert!(
        row.trim_end()
            .trim_end_matches('"')
            .trim_end()
            .ends_with('…'),
        "{row}"
    );
    // Selected, the unit's capabilities and zone are whole under it.
    b.keys("<A-n><A-n>");
    assert_eq!(b.app.selected_unit().unwrap().callsign.as_str(), "STAR-1");
    let screen = b.text(80, 24);
    assert!(screen.contains("clinician, medic; zone d6"), "{screen}");

    // A worked call whose chronology the pane cannot hold at 80×24.
    b.run(&[
        "note 26-BA0001 brother on the way, he has a key to the flat",
        "note 26-BA0001 calmer now, sitting on the kerb with the clinician",
        "ok STAR-1",
        "note 26-BA0001 agrees to talk to the clinician about a follow-up visit tomorrow",
        "ok STAR-1",
        "note 26-BA0001 neighbour says he was shouting at the buses all night",
    ]);
    b.keys("<C-n>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0001");
    let screen = b.text(80, 24);
    assert!(screen.contains("older, <A-w> shows all"), "{screen}");
    b.app.refresh_chronology();
    let entries: Vec<String> = b
        .app
        .chronology()
        .iter()
        .map(|e| e.body.describe())
        .collect();
    let first = entries.first().unwrap().clone();
    assert!(!screen.contains(&first[..20]), "{screen}");
    // Alt-W: the call whole, over the panes; it scrolls down to the newest entry and back.
    b.keys("<A-w>");
    let top = b.text(80, 24);
    assert!(top.contains("whole — Up/Down scroll, Esc closes"), "{top}");
    assert!(top.contains("Loc  1400 Colfax Ave"), "{top}");
    let mut seen = String::new();
    for _ in 0..40 {
        let screen = b.text(80, 24);
        seen.push_str(&flat(&screen));
        b.keys("<Down>");
    }
    // Scrolling stops at the end: one Up press from the bottom moves at once.
    let bottom = b.text(80, 24);
    assert!(bottom.contains("more rows above"), "{bottom}");
    assert!(!bottom.contains("more rows below"), "{bottom}");
    for text in &entries {
        let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            seen.contains(&words),
            "{words:?} never shown whole:\n{bottom}"
        );
    }
    b.keys("<Up>");
    assert_ne!(b.text(80, 24), bottom);
    insta::assert_snapshot!("whole_call_80x24", bottom);
    b.keys("<Esc>");
    assert!(!b.text(80, 24).contains("Esc closes"));
    // The vim keymap's key is `w`.
    let mut v = bench_with("vim", "ansi16", ColorDepth::Ansi16, false).shift();
    v.keys("w");
    assert!(v.app.ui.details_open);
}

/// The rows between the borders of an overlay as one line of words, so that text wrapped over
/// rows can be found whole.
fn flat(screen: &str) -> String {
    let mut out = String::new();
    for line in screen.lines() {
        let inner = line.trim_matches('"');
        let inner = inner.trim_start_matches('│').trim_end_matches('│').trim();
        out.push(' ');
        out.push_str(inner);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Issue 12 item 11: the call's zone shows beside its address; a conflict longer than three rows
/// (the longest there can be, at 64 columns) is whole, not cut at the third; the longest operator
/// name gives way on the status bar to the clock and the alarms.
#[test]
fn the_zone_a_long_conflict_and_the_status_alarms_show_whole() {
    use switchboard::domain::{Body, CallId, Callsign};
    let mut b = bench();
    b.run(&["call 300 Broadway / woman crying in a bus shelter --type welfare --zone d3"]);
    assert!(b.text(80, 24).contains("Loc  300 Broadway, zone d3"));
    // The longest operator name there may be stamps a dispatch that lost to a peer's.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(T0);
    let operator = format!("ct-{}", "x".repeat(61));
    let mut desk = Desk::open(store, Box::new(clock.clone()), &operator).unwrap();
    for line in [
        "unit add STAR-LONGNM1 clinician,medic",
        "call 1 Main St / man shouting --type bh-crisis",
        "call 2 Main St / woman crying --type welfare",
        "dp STAR-LONGNM1 1",
    ] {
        desk.execute_line(line).unwrap();
    }
    desk.commit_planned(vec![Body::UnitDispatched {
        unit: "STAR-LONGNM1".parse::<Callsign>().unwrap(),
        call: CallId::mint(2026, "BA", 2),
        en_route: false,
        from: None,
    }])
    .unwrap();
    let said = desk.state().open_alerts().next().unwrap().text.clone();
    let app = crate::common::keys::console(desk, "default");
    // Three rows at 80×24; at the smallest screen, 64×16, it takes a fourth rather than be cut.
    for (w, h) in [(80, 24), (64, 16)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| screen::draw(f, &app)).unwrap();
        let screen = terminal.backend().to_string();
        let banner: Vec<&str> = screen.lines().skip(1).take(5).collect();
        // A word longer than a row (the name) is split over two: compare without spaces.
        let words: String = flat(&banner.join("\n")).split_whitespace().collect();
        let said: String = said.split_whitespace().collect();
        assert!(words.contains(&said), "{said:?} not whole in:\n{screen}");
        assert!(!words.contains('…'), "{screen}");
        assert!(screen.contains(" Queue 2 open"), "{screen}");
        // The longest name gives way on the status bar: the clock and the alarm stay.
        let bar = screen.lines().next().unwrap();
        assert!(bar.contains("ct-xxxx"), "{bar}");
        assert!(bar.contains("… node BA"), "{bar}");
        assert!(bar.contains("10:00"), "{bar}");
        assert!(bar.contains("conflict BA-6"), "{bar}");
    }
    let _ = clock;
}

/// Issue 12 item 11: `rec`'s answer, cut on the message line, is whole in the messages overlay,
/// each of its lines on a row of its own.
#[test]
fn rec_output_reads_whole_line_by_line_in_messages() {
    let mut b = bench().shift();
    b.keys("rec 4<Enter>");
    let said = b.app.ui.message.clone().unwrap().text;
    let parts: Vec<&str> = said.split("  |  ").collect();
    assert!(parts.len() > 1, "{said}");
    assert!(b.text(80, 24).contains("(<A-e> shows all)"));
    b.keys("<A-e>");
    let screen = b.text(80, 24);
    let rows: Vec<String> = screen
        .lines()
        .map(|l| l.trim_matches('"').trim_matches('│').to_owned())
        .collect();
    for part in &parts[1..] {
        let start: String = part.chars().take(20).collect();
        assert!(
            rows.iter()
                .any(|r| r.starts_with(&format!("      {start}"))),
            "{part:?} not on a row of its own:\n{screen}"
        );
    }
    assert!(!screen.contains("  |  "), "{screen}");
}

/// Issue 12 item 11: help at 80×24 shows every command's signature and description whole (a
/// signature wider than the row wraps), and a chord's hints past the edge end in a mark.
#[test]
fn help_and_chord_hints_are_never_cut_silently() {
    use switchboard::command::COMMANDS;
    let mut b = bench().shift();
    b.keys("<F1>");
    let mut seen = String::new();
    for _ in 0..400 {
        let screen = b.text(80, 24);
        for line in screen.lines().skip(2).take(20) {
            seen.push_str(line.trim_matches('"').trim_matches('│'));
            seen.push(' ');
        }
        b.keys("<Down>");
    }
    let seen: String = seen.split_whitespace().collect();
    for spec in COMMANDS {
        let whole: String = format!("{} {}", spec.name, spec.signature)
            .split_whitespace()
            .collect();
        assert!(seen.contains(&whole), "{whole:?} not whole in help");
        let doc: String = spec.doc.split_whitespace().collect();
        assert!(seen.contains(&doc), "{doc:?} not whole in help");
    }
    b.keys("<Esc>");
    b.keys("<C-x>");
    let screen = b.text(80, 24);
    let hints = screen.lines().nth(22).unwrap().trim_matches('"').trim_end();
    assert!(hints.contains("<C-c> Leave the console"), "{screen}");
    assert!(hints.ends_with('…'), "{hints:?}");
}

/// Issue 12 item 11: however few rows the details pane has, its chronology shows or the pane
/// says there is more below (it once filled exactly and dropped the chronology without a word).
#[test]
fn the_details_pane_never_drops_the_chronology_silently() {
    let mut b = bench().shift();
    b.keys("<C-n>");
    assert_eq!(b.app.selected_call().unwrap().id.as_str(), "26-BA0001");
    b.app.refresh_chronology();
    let newest: String = b
        .app
        .chronology()
        .last()
        .unwrap()
        .body
        .describe()
        .chars()
        .take(15)
        .collect();
    for height in 4..24 {
        let pane = details_flat(&mut b, 40, height);
        // The newest entry (with one row left, its first row cut with a mark), or a count.
        assert!(
            pane.contains(&newest) || pane.contains("more rows below"),
            "{height} rows: {pane}"
        );
    }
}

/// Issue 12 item 11: the map's notice when nothing can be centred on says what to do, whole.
#[test]
fn the_map_notice_wraps_instead_of_being_cut() {
    let mut b = bench().shift();
    b.keys("<A-m>");
    let screen = b.text(80, 24);
    let words: String = flat(&screen).split_whitespace().collect();
    assert!(
        words.contains("noaddresslistisloaded(switchboardgazetteerimportFILE)."),
        "{screen}"
    );
}

/// Issue 12 item 11: the dashboard's units never fall off its bottom silently: two a row when
/// they do not fit one a row, and a count of the rest.
#[test]
fn the_dashboard_lists_every_unit_or_counts_the_rest() {
    let dashboard = |units: u32| {
        let mut b = bench().shift();
        for n in 5..=units {
            b.run(&[&format!("unit add STAR-{n} clinician --zone d1")]);
        }
        b.keys("<A-d>");
        b.text(80, 24)
    };
    let few = dashboard(4);
    assert!(few.contains("out of service"), "{few}");
    let two = dashboard(12);
    for n in 1..=12 {
        assert!(two.contains(&format!("STAR-{n} ")), "STAR-{n}:\n{two}");
    }
    let many = dashboard(30);
    let shown = (1..=30)
        .filter(|n| many.contains(&format!("STAR-{n} ")))
        .count();
    let said = format!("{} more units", 30 - shown);
    assert!(many.contains(&said), "{said}:\n{many}");
    insta::assert_snapshot!("dashboard_many_units_80x24", many);
}
