//! Shift change (issue 14 item 9): operators sign on and off the desk, and `handover` says what
//! the next shift must know.

use crate::common::desk::{answer, desk_as, MIN, T0};
use crate::common::keys::{console, press};

#[test]
fn operators_sign_on_and_off_and_the_handover_lists_what_the_next_shift_must_know() {
    let (mut d, clock, _dir) = desk_as("ct-rivera");
    d.run_line("on").unwrap();
    d.run_line_as("on", "ct-okafor").unwrap();
    assert_eq!(
        d.state().on_desk.keys().collect::<Vec<_>>(),
        ["ct-okafor", "ct-rivera"]
    );
    for line in [
        "unit add STAR-1 clinician,medic",
        "unit add STAR-2 clinician,medic",
        "call 12 Main St / man shouting --pri 1",
        "call 9 Oak St / welfare check --pri 3",
        "note 2 dog in the yard, bites --caution",
        "hold 2 30m caller calling back",
        "dp STAR-1 1",
        "oos STAR-2 flat tyre",
    ] {
        d.run_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
    clock.set(T0 + 40 * MIN);
    d.run_line_as("off", "ct-okafor").unwrap();
    let said = answer(&mut d, "handover").join("\n");
    for expected in [
        "On the desk: ct-rivera (40 min)",
        "Open calls: 2",
        "26-BA0001 P1 - dispatched, 40 min: 12 Main St [STAR-1]",
        "on hold 0 min more: caller calling back",
        "Out of service: STAR-2 (flat tyre, 40 min)",
        "Alarms: waiting long: 26-BA0002",
        "Cautions in the last 12 h: 1",
        "26-BA0002: dog in the yard, bites (9 Oak St)",
    ] {
        assert!(said.contains(expected), "{expected} missing from:\n{said}");
    }
    // Cautions older than the window are left out; a bad window is refused.
    clock.set(T0 + 3 * 3_600_000);
    let said = answer(&mut d, "handover --hours 2").join("\n");
    assert!(said.contains("Cautions in the last 2 h: 0"), "{said}");
    let err = d.run_line("handover --hours 0").unwrap_err().to_string();
    assert!(err.contains("1 to 72"), "{err}");
}

#[test]
fn the_handover_key_of_both_keymaps_shows_it_whole_in_the_messages() {
    for (keymap, key) in [("default", "<A-s>"), ("vim", "S")] {
        let (mut d, _clock, _dir) = desk_as("ct-rivera");
        d.run_line("call 12 Main St / man shouting --pri 1")
            .unwrap();
        let mut app = console(d, keymap);
        press(&mut app, key);
        let kept: Vec<&str> = app
            .ui
            .messages
            .iter()
            .map(|(_, m)| m.text.as_str())
            .collect();
        let all = kept.join("\n");
        assert!(all.contains("Open calls: 1"), "{keymap}: {all}");
        let (on, off) = if keymap == "vim" {
            ("<Space>o", "<Space>f")
        } else {
            ("<C-x>o", "<C-x>f")
        };
        press(&mut app, on);
        assert!(
            app.state().on_desk.contains_key("ct-rivera"),
            "{keymap}: {on}"
        );
        press(&mut app, off);
        assert!(app.state().on_desk.is_empty(), "{keymap}: {off}");
    }
}
