//! The map pane (issue 16, items 8 and 9) over ratatui's `TestBackend`, on the shipped Kodiak
//! list: opened, zoomed and panned by keys in both keymaps, in Braille and in ASCII.

use switchboard::console::app::App;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::{CallId, ReplicaId};
use switchboard::places::{distance_m, Gazetteer, KODIAK};
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

use super::common::keys::{press, text};

fn app(keymap: &str, ascii: bool) -> (App, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(1_795_773_600_000);
    let mut desk = Desk::open(store, Box::new(clock), "ct-rivera")
        .unwrap()
        .with_gazetteer(Some(Gazetteer::parse(KODIAK, "kodiak.csv").0));
    for line in [
        "unit add STAR-1 clinician,medic",
        "unit add STAR-2 clinician,emt",
        // STAR-1 was last on scene at 1400 Abercrombie Drive, so it has a position.
        "call 1400 Abercrombie Drive / man shouting at traffic",
        "dp STAR-1 1",
        "ons STAR-1",
        "avl STAR-1",
        "close 1 resolved",
        "call 1010 Willow Street / neighbour worried, no answer at the door",
        "call Willow St & Birch Ave / man asleep in the bus shelter",
    ] {
        desk.execute_line(line).unwrap();
    }
    let mut app = super::common::keys::console(desk, keymap);
    app.options.ascii = ascii;
    app.ui.call = Some("26-BA0002".parse::<CallId>().unwrap());
    (app, dir)
}

fn braille_cells(screen: &str) -> usize {
    screen
        .chars()
        .filter(|c| ('\u{2801}'..='\u{28ff}').contains(c))
        .count()
}

#[test]
fn the_map_opens_on_the_call_with_streets_units_and_distances() {
    for (keymap, open) in [("default", "<A-m>"), ("vim", "<Esc>m")] {
        let (mut app, _dir) = app(keymap, false);
        press(&mut app, open);
        assert!(app.ui.map.open, "{keymap}");
        let screen = text(&mut app, 80, 24);
        assert!(screen.contains(" Map 26-BA0002, 1 dot 20 m "), "{screen}");
        // The call, another open call, and the streets around it by name.
        assert!(screen.contains('@'), "{screen}");
        assert!(screen.contains('*'), "{screen}");
        assert!(screen.contains("Willow Street"), "{screen}");
        // The points trace downtown Kodiak: hundreds of Braille cells at 20 m a dot.
        assert!(braille_cells(&screen) > 300, "{}", braille_cells(&screen));
        // STAR-1, free, at its last call; its distance is the straight line.
        let g = Gazetteer::parse(KODIAK, "kodiak.csv").0;
        let at = |n: &str, s: &str| {
            g.addresses()
                .iter()
                .find(|a| a.number == n && a.street == s)
                .unwrap()
                .coords
                .clone()
        };
        let km = distance_m(
            &at("1400", "Abercrombie Drive"),
            &at("1010", "Willow Street"),
        ) / 1000.0;
        assert!(
            screen.contains(&format!("Nearest free: STAR-1 {km:.1} km")),
            "{screen}"
        );
        assert!(
            screen.contains("@ 26-BA0002 1010 Willow Street [exact]"),
            "{screen}"
        );
        // Esc closes it.
        press(&mut app, "<Esc>");
        if keymap == "default" {
            assert!(!app.ui.map.open);
        }
    }
}

#[test]
fn zoom_and_pan_by_keys() {
    let (mut app, _dir) = app("default", false);
    press(&mut app, "<A-m>");
    let home = text(&mut app, 80, 24);
    press(&mut app, "<A-->");
    let out = text(&mut app, 80, 24);
    assert!(
        out.contains("1 dot 40 m") && out.contains("6.4 km across"),
        "{out}"
    );
    press(&mut app, "<A-=><A-=>");
    assert!(text(&mut app, 80, 24).contains("1 dot 10 m"));
    press(&mut app, "<A-=>");
    press(&mut app, "<A--><A-->");
    assert_eq!(text(&mut app, 80, 24), home);
    // A pan moves the call a tenth of the pane; back on the call with A-0.
    press(&mut app, "<A-l>");
    let east = text(&mut app, 80, 24);
    assert_ne!(east, home);
    let column = |s: &str| {
        s.lines().find_map(|l| {
            l.chars()
                .position(|c| c == '@')
                .filter(|_| !l.starts_with('@'))
        })
    };
    let (before, after) = (column(&home).unwrap(), column(&east).unwrap());
    assert!(before > after && before - after >= 7, "{before} {after}");
    press(&mut app, "<A-0>");
    assert_eq!(text(&mut app, 80, 24), home);
    // Farther out, STAR-1 shows where it was last seen, with its callsign.
    press(&mut app, "<A--><A--><A-->");
    let wide = text(&mut app, 80, 24);
    assert!(wide.contains("#STAR-1"), "{wide}");
    press(&mut app, "<A-=><A-=><A-=>");
    // Larger at 120×40.
    let big = text(&mut app, 120, 40);
    assert!(big.contains("4.8 km across"), "{big}");
}

#[test]
fn in_ascii_every_mark_is_its_own_glyph() {
    let (mut app, _dir) = app("default", true);
    press(&mut app, "<A-m>");
    let screen = text(&mut app, 80, 24);
    assert!(screen.is_ascii(), "{screen}");
    for glyph in ['@', '*', ':', '.'] {
        assert!(screen.contains(glyph), "{glyph}: {screen}");
    }
    assert!(screen.contains("Willow Street"));
}

/// Pans in all four directions and zooms, drawn through the lean backend (which moves the
/// cells a pan shifts) into a vt100 screen: after every key the screen shows exactly the
/// frame, and a pan costs a small part of drawing the map.
#[test]
fn a_pan_through_the_lean_backend_moves_cells_and_leaves_the_screen_exact() {
    use ratatui::{Terminal, TerminalOptions, Viewport};
    use switchboard::console::lean::LeanBackend;
    use switchboard::console::view::screen;

    for ascii in [false, true] {
        let (mut app, _dir) = app("default", ascii);
        press(&mut app, "<A-m>");
        let (width, height) = (80, 24);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height)),
        };
        let backend = LeanBackend::blank(Vec::new(), width, height);
        let mut terminal = Terminal::with_options(backend, options).unwrap();
        let mut vt = vt100::Parser::new(height, width, 0);
        let mut costs = Vec::new();
        for key in [
            "", "<A-l>", "<A-l>", "<A-h>", "<A-j>", "<A-k>", "<A-k>", "<A-h>", "<A-->", "<A-l>",
            "<A-=>", "<A-j>", "<A-0>",
        ] {
            press(&mut app, key);
            app.refresh_chronology();
            let buffer = terminal
                .draw(|f| screen::draw(f, &app))
                .unwrap()
                .buffer
                .clone();
            let bytes = std::mem::take(terminal.backend_mut().writer_mut());
            costs.push((key, bytes.len()));
            vt.process(&bytes);
            for y in 0..height {
                for x in 0..width {
                    let want = buffer[(x, y)].symbol();
                    let got = vt.screen().cell(y, x).unwrap().contents();
                    assert_eq!(
                        got.trim(),
                        want.trim(),
                        "({x},{y}) after {key} (ascii {ascii})"
                    );
                }
            }
        }
        let full = costs[0].1;
        for (key, bytes) in &costs {
            if ["<A-l>", "<A-h>", "<A-j>", "<A-k>"].contains(key) {
                assert!(
                    bytes * 4 < full,
                    "{key}: {bytes} B, the whole frame {full} B (ascii {ascii}): {costs:?}"
                );
            }
        }
    }
}
