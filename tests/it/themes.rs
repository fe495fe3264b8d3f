//! Themes: every shipped theme loads at every colour depth, the base names every scope, scopes
//! fall back, colours downgrade, and each broken fixture gives its exact one-line error.

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use switchboard::console::theme::*;
use switchboard::domain::{Priority, UnitStatus};

const DEPTHS: [ColorDepth; 4] = [
    ColorDepth::Mono,
    ColorDepth::Ansi16,
    ColorDepth::Ansi256,
    ColorDepth::TrueColor,
];

/// The scope list as the design gives it, kept apart from `SCOPES` so a change to either shows.
const EXPECTED_SCOPES: &[&str] = &[
    "status",
    "status.alarm",
    "status.training",
    "status.peer",
    "pane.title",
    "pane.title.focused",
    "pane.border",
    "queue.header",
    "queue.row",
    "queue.row.selected",
    "queue.priority.1",
    "queue.priority.2",
    "queue.priority.3",
    "queue.priority.4",
    "queue.age",
    "queue.age.alarm",
    "queue.status",
    "details.label",
    "details.value",
    "details.note",
    "details.chronology",
    "details.alert",
    "roster.group",
    "roster.row",
    "roster.row.selected",
    "roster.status.avl",
    "roster.status.dsp",
    "roster.status.enr",
    "roster.status.ons",
    "roster.status.trn",
    "roster.status.atf",
    "roster.status.oos",
    "roster.timer",
    "roster.timer.overdue",
    "cmdline.prompt",
    "cmdline.text",
    "cmdline.refusal",
    "cmdline.done",
    "cmdline.hint",
    "cmdline.completion",
    "cmdline.completion.selected",
    "form.label",
    "form.field",
    "form.field.focused",
    "help.title",
    "help.key",
    "help.desc",
    "notice",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A config dir whose `themes/` holds the fixtures.
fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join("themes").join(format!("{name}.toml"))
}

fn shipped_table(name: &str) -> toml::Table {
    let text = std::fs::read_to_string(root().join("themes").join(format!("{name}.toml"))).unwrap();
    toml::from_str(&text).unwrap()
}

fn scopes_of(table: &toml::Table) -> &toml::Table {
    table.get("scopes").and_then(toml::Value::as_table).unwrap()
}

/// Every style of a theme, by scope, read through the public fields.
fn fields(t: &Theme) -> Vec<(&'static str, Style)> {
    let mut all = vec![
        ("status", t.status),
        ("status.alarm", t.status_alarm),
        ("status.training", t.status_training),
        ("status.peer", t.status_peer),
        ("pane.title", t.pane_title),
        ("pane.title.focused", t.pane_title_focused),
        ("pane.border", t.pane_border),
        ("queue.header", t.queue_header),
        ("queue.row", t.queue_row),
        ("queue.row.selected", t.queue_row_selected),
        ("queue.age", t.queue_age),
        ("queue.age.alarm", t.queue_age_alarm),
        ("queue.status", t.queue_status),
        ("details.label", t.details_label),
        ("details.value", t.details_value),
        ("details.note", t.details_note),
        ("details.chronology", t.details_chronology),
        ("details.alert", t.details_alert),
        ("roster.group", t.roster_group),
        ("roster.row", t.roster_row),
        ("roster.row.selected", t.roster_row_selected),
        ("roster.timer", t.roster_timer),
        ("roster.timer.overdue", t.roster_timer_overdue),
        ("cmdline.prompt", t.cmdline_prompt),
        ("cmdline.text", t.cmdline_text),
        ("cmdline.refusal", t.cmdline_refusal),
        ("cmdline.done", t.cmdline_done),
        ("cmdline.hint", t.cmdline_hint),
        ("cmdline.completion", t.cmdline_completion),
        ("cmdline.completion.selected", t.cmdline_completion_selected),
        ("form.label", t.form_label),
        ("form.field", t.form_field),
        ("form.field.focused", t.form_field_focused),
        ("help.title", t.help_title),
        ("help.key", t.help_key),
        ("help.desc", t.help_desc),
        ("notice", t.notice),
    ];
    let priorities = [
        "queue.priority.1",
        "queue.priority.2",
        "queue.priority.3",
        "queue.priority.4",
    ];
    all.extend(priorities.into_iter().zip(t.queue_priority));
    let statuses = [
        "roster.status.avl",
        "roster.status.dsp",
        "roster.status.enr",
        "roster.status.ons",
        "roster.status.trn",
        "roster.status.atf",
        "roster.status.oos",
    ];
    all.extend(statuses.into_iter().zip(t.roster_status));
    all
}

fn load_fixture(name: &str) -> Result<Theme, ThemeError> {
    Theme::load(name, Some(&fixtures()), ColorDepth::TrueColor)
}

/// The one-line error a broken fixture gives, through `load` and through `check_file` alike.
fn fixture_error(name: &str) -> String {
    let loaded = load_fixture(name).unwrap_err().to_string();
    let checked = Theme::check_file(&fixture(name)).unwrap_err().to_string();
    assert_eq!(loaded, checked, "load and check_file disagree on {name}");
    assert!(!loaded.contains('\n'), "error is not one line: {loaded}");
    loaded
}

#[test]
fn the_scope_list_is_the_design() {
    assert_eq!(SCOPES, EXPECTED_SCOPES);
}

#[test]
fn every_shipped_theme_loads_at_every_depth() {
    assert_eq!(
        Theme::shipped_names(),
        ["ansi16", "dark", "light", "high-contrast"]
    );
    for name in Theme::shipped_names() {
        Theme::check_file(&root().join("themes").join(format!("{name}.toml"))).unwrap();
        for depth in DEPTHS {
            let theme = Theme::load(name, None, depth)
                .unwrap_or_else(|e| panic!("{name} at {depth:?}: {e}"));
            assert_eq!(theme.name, *name);
            assert_eq!(theme.depth, depth);
        }
    }
    assert_eq!(
        Theme::default_for(ColorDepth::Ansi16),
        Theme::load("ansi16", None, ColorDepth::Ansi16).unwrap()
    );
}

#[test]
fn ansi16_names_every_scope_with_named_colours_only() {
    let table = shipped_table("ansi16");
    assert!(table.get("inherits").is_none() && table.get("palette").is_none());
    let mut keys: Vec<&str> = scopes_of(&table).keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = EXPECTED_SCOPES.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    let named = [
        "black",
        "red",
        "green",
        "yellow",
        "blue",
        "magenta",
        "cyan",
        "gray",
        "dark-gray",
        "light-red",
        "light-green",
        "light-yellow",
        "light-blue",
        "light-magenta",
        "light-cyan",
        "white",
    ];
    for (scope, value) in scopes_of(&table) {
        let colours: Vec<&str> = match value {
            toml::Value::String(fg) => vec![fg.as_str()],
            toml::Value::Table(style) => ["fg", "bg"]
                .iter()
                .filter_map(|k| style.get(*k)?.as_str())
                .collect(),
            other => panic!("{scope}: {other:?}"),
        };
        for colour in colours {
            assert!(
                named.contains(&colour),
                "{scope} uses '{colour}', not a named colour"
            );
        }
    }
}

#[test]
fn every_other_shipped_theme_inherits_ansi16() {
    for name in Theme::shipped_names().iter().filter(|n| **n != "ansi16") {
        let table = shipped_table(name);
        assert_eq!(
            table.get("inherits").and_then(toml::Value::as_str),
            Some("ansi16"),
            "{name}"
        );
    }
}

#[test]
fn no_shipped_selection_paints_a_background() {
    for name in Theme::shipped_names() {
        for (scope, value) in scopes_of(&shipped_table(name)) {
            if !(scope.ends_with(".selected") || scope.ends_with(".focused")) {
                continue;
            }
            let Some(style) = value.as_table() else {
                continue;
            };
            assert!(
                style.get("bg").is_none(),
                "{name}: {scope} has a background"
            );
            let reversed = style
                .get("modifiers")
                .and_then(toml::Value::as_array)
                .is_some_and(|m| m.iter().any(|m| m.as_str() == Some("reversed")));
            assert!(
                !reversed,
                "{name}: {scope} is reversed, a background in disguise"
            );
        }
        let theme = Theme::load(name, None, ColorDepth::TrueColor).unwrap();
        for (scope, style) in fields(&theme) {
            if scope.ends_with(".selected") || scope.ends_with(".focused") {
                assert_eq!(style.bg, None, "{name}: {scope}");
                assert!(style
                    .add_modifier
                    .intersects(Modifier::BOLD | Modifier::UNDERLINED));
            }
        }
    }
}

#[test]
fn mono_keeps_modifiers_and_drops_every_colour() {
    for name in Theme::shipped_names() {
        let theme = Theme::load(name, None, ColorDepth::Mono).unwrap();
        let colour = Theme::load(name, None, ColorDepth::TrueColor).unwrap();
        for ((scope, mono), (_, full)) in fields(&theme).into_iter().zip(fields(&colour)) {
            assert_eq!((mono.fg, mono.bg), (None, None), "{name}: {scope}");
            assert_eq!(mono.add_modifier, full.add_modifier, "{name}: {scope}");
        }
        assert!(theme
            .queue_row_selected
            .add_modifier
            .contains(Modifier::BOLD));
    }
    let red = Theme::load("pure-red", Some(&fixtures()), ColorDepth::Mono).unwrap();
    assert_eq!(red.queue_row, Style::new().add_modifier(Modifier::BOLD));
}

#[test]
fn ansi16_stays_named_at_every_depth() {
    let base = Theme::load("ansi16", None, ColorDepth::Ansi16).unwrap();
    for depth in [ColorDepth::Ansi256, ColorDepth::TrueColor] {
        assert_eq!(
            fields(&Theme::load("ansi16", None, depth).unwrap()),
            fields(&base)
        );
    }
    assert_eq!(
        base.queue_priority[0],
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    );
    assert_eq!(base.roster_status[0], Style::new().fg(Color::Green));
}

#[test]
fn hex_downgrades_to_the_nearest_colour_the_terminal_has() {
    let at = |depth| {
        Theme::load("pure-red", Some(&fixtures()), depth)
            .unwrap()
            .queue_row
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    assert_eq!(
        at(ColorDepth::TrueColor),
        bold.fg(Color::Rgb(255, 0, 0)).bg(Color::Rgb(0, 0, 128))
    );
    assert_eq!(
        at(ColorDepth::Ansi256),
        bold.fg(Color::Indexed(196)).bg(Color::Indexed(18))
    );
    // #ff0000 is exactly xterm's bright red (255, 0, 0); #000080 is 110 from xterm's blue
    // (0, 0, 238) and 128 from black.
    assert_eq!(
        at(ColorDepth::Ansi16),
        bold.fg(Color::LightRed).bg(Color::Blue)
    );
    assert_eq!(at(ColorDepth::Mono), bold);
}

#[test]
fn shipped_palettes_keep_their_hue_at_16_colours() {
    let dark = Theme::load("dark", None, ColorDepth::Ansi16).unwrap();
    let light = Theme::load("light", None, ColorDepth::Ansi16).unwrap();
    let fg = |s: Style| s.fg.unwrap();
    let hues = |t: &Theme| {
        [
            fg(t.unit_status(UnitStatus::Available)),
            fg(t.unit_status(UnitStatus::Dispatched)),
            fg(t.unit_status(UnitStatus::OnScene)),
            fg(t.unit_status(UnitStatus::AtFacility)),
            fg(t.unit_status(UnitStatus::OutOfService)),
        ]
    };
    let expected = [
        Color::Green,
        Color::Yellow,
        Color::Magenta,
        Color::Cyan,
        Color::DarkGray,
    ];
    assert_eq!(hues(&dark), expected);
    assert_eq!(hues(&light), expected);
    assert_eq!(fg(dark.priority(Priority::MOST_URGENT)), Color::LightRed);
    assert_eq!(fg(light.priority(Priority::MOST_URGENT)), Color::Red);
    // At 256 colours the palette is exact.
    let dark256 = Theme::load("dark", None, ColorDepth::Ansi256).unwrap();
    assert_eq!(
        dark256.unit_status(UnitStatus::Available).fg,
        Some(Color::Indexed(76))
    );
}

#[test]
fn accessors_index_in_design_order() {
    let theme = Theme::load("ansi16", None, ColorDepth::TrueColor).unwrap();
    for (i, status) in UnitStatus::ALL.iter().enumerate() {
        assert_eq!(
            theme.unit_status(*status),
            theme.roster_status[i],
            "{status}"
        );
    }
    let words: Vec<&str> = UnitStatus::ALL.iter().map(|s| s.word()).collect();
    assert_eq!(words, ["AVL", "DSP", "ENR", "ONS", "TRN", "ATF", "OOS"]);
    for p in 1..=4u8 {
        let priority = Priority::new(p).unwrap();
        assert_eq!(
            theme.priority(priority),
            theme.queue_priority[usize::from(p) - 1]
        );
    }
}

#[test]
fn a_missing_scope_falls_back_to_its_parent() {
    let theme = load_fixture("only-queue").unwrap();
    let queue = Style::new().fg(Color::Green).add_modifier(Modifier::BOLD);
    assert_eq!(theme.queue_row_selected, queue);
    assert_eq!(theme.queue_row, queue);
    assert_eq!(theme.queue_priority, [queue; 4]);
    assert_eq!(theme.queue_age_alarm, queue);
    // Nothing named for the roster: the terminal's default style.
    assert_eq!(theme.roster_row_selected, Style::default());
    assert_eq!(theme.notice, Style::default());
}

#[test]
fn a_user_theme_overrides_a_shipped_one_it_inherits() {
    let mine = load_fixture("mine").unwrap();
    let dark = Theme::load("dark", None, ColorDepth::TrueColor).unwrap();
    assert_eq!(
        mine.queue_row_selected,
        Style::new()
            .fg(Color::Rgb(0xff, 0x87, 0xaf))
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    );
    assert_eq!(
        mine.queue_priority[1],
        Style::new().fg(Color::Rgb(0xff, 0xaf, 0x00))
    );
    assert_eq!(mine.roster_status, dark.roster_status);
    assert_eq!(mine.name, "mine");
}

#[test]
fn a_user_theme_shadows_a_shipped_one_of_the_same_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    // Inheriting its own name means the shipped theme, not itself.
    std::fs::write(
        dir.path().join("themes/dark.toml"),
        "inherits = \"dark\"\n[scopes]\n\"notice\" = \"#ffffff\"\n",
    )
    .unwrap();
    let theme = Theme::load("dark", Some(dir.path()), ColorDepth::TrueColor).unwrap();
    let shipped = Theme::load("dark", None, ColorDepth::TrueColor).unwrap();
    assert_eq!(theme.notice, Style::new().fg(Color::Rgb(255, 255, 255)));
    assert_eq!(theme.queue_row_selected, shipped.queue_row_selected);
    let listed = list(Some(dir.path()));
    assert_eq!(
        listed,
        [
            ("ansi16".to_owned(), "shipped"),
            ("dark".to_owned(), "user"),
            ("light".to_owned(), "shipped"),
            ("high-contrast".to_owned(), "shipped"),
        ]
    );
}

#[test]
fn list_shows_shipped_then_user_themes() {
    let names = |l: Vec<(String, &'static str)>| -> Vec<String> {
        l.into_iter().map(|(n, src)| format!("{n}:{src}")).collect()
    };
    assert_eq!(
        names(list(None)),
        [
            "ansi16:shipped",
            "dark:shipped",
            "light:shipped",
            "high-contrast:shipped"
        ]
    );
    let with_fixtures = names(list(Some(&fixtures())));
    assert_eq!(with_fixtures[..4], names(list(None)));
    assert!(with_fixtures.contains(&"only-queue:user".to_owned()));
    assert!(
        with_fixtures[4..].windows(2).all(|w| w[0] < w[1]),
        "user themes sorted"
    );
}

#[test]
fn unknown_theme_names_the_shipped_ones() {
    let err = Theme::load("x", None, ColorDepth::Ansi16).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown theme 'x'; shipped: ansi16, dark, light, high-contrast"
    );
    let err = Theme::load("../etc/passwd", None, ColorDepth::Ansi16).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad theme name '../etc/passwd'; use letters, digits, '-' and '_'"
    );
}

#[test]
fn broken_fixtures_say_exactly_what_and_where() {
    let at = |name: &str| fixture(name).display().to_string();
    let cases = [
        (
            "unknown-scope",
            format!("unknown scope 'queue.rwo' at {}:7; did you mean 'queue.row'?", at("unknown-scope")),
        ),
        (
            "bad-colour",
            format!("unknown colour 'yelow' at {}:4; did you mean 'yellow'?", at("bad-colour")),
        ),
        ("bad-hex", format!("bad colour '#ffaf0g' at {}:5; write hex colours as #rrggbb", at("bad-hex"))),
        (
            "bad-modifier",
            format!(
                "unknown modifier 'blink' at {}:4; use bold, dim, italic, underlined, reversed, crossed-out",
                at("bad-modifier")
            ),
        ),
        ("unknown-key", format!("unknown key 'fgg' at {}:5; did you mean 'fg'?", at("unknown-key"))),
        (
            "unquoted-scope",
            format!(
                "unknown key 'row' at {}:4; expected fg, bg, modifiers (quote dotted scope names: \"queue.row\" = …)",
                at("unquoted-scope")
            ),
        ),
        (
            "syntax",
            format!("TOML syntax error at {}:4; invalid basic string, expected `\"`", at("syntax")),
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(fixture_error(name), expected, "{name}");
    }
}

#[test]
fn an_inheritance_cycle_is_named() {
    assert_eq!(
        load_fixture("cycle-a").unwrap_err().to_string(),
        format!(
            "theme inheritance cycle cycle-a -> cycle-b -> cycle-a at {}:1",
            fixture("cycle-b").display()
        )
    );
    assert_eq!(
        Theme::check_file(&fixture("cycle-b"))
            .unwrap_err()
            .to_string(),
        format!(
            "theme inheritance cycle cycle-b -> cycle-a -> cycle-b at {}:2",
            fixture("cycle-a").display()
        )
    );
}

#[test]
fn error_fields_carry_file_and_line() {
    let err = load_fixture("unknown-scope").unwrap_err();
    assert_eq!(err.line, Some(7));
    assert_eq!(
        err.file.as_deref(),
        Some(fixture("unknown-scope").display().to_string().as_str())
    );
}

#[test]
fn colour_depth_precedence() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let all: &[(&str, &str)] = &[
        ("NO_COLOR", "1"),
        ("COLORTERM", "truecolor"),
        ("TERM", "xterm-256color"),
    ];
    // The flag beats everything.
    assert_eq!(
        ColorDepth::detect_with(Some("16"), env(all)),
        Ok(ColorDepth::Ansi16)
    );
    assert_eq!(
        ColorDepth::detect_with(Some("none"), env(&[])),
        Ok(ColorDepth::Mono)
    );
    assert_eq!(
        ColorDepth::detect_with(Some("256"), env(all)),
        Ok(ColorDepth::Ansi256)
    );
    assert_eq!(
        ColorDepth::detect_with(Some("truecolor"), env(all)),
        Ok(ColorDepth::TrueColor)
    );
    assert_eq!(
        ColorDepth::detect_with(Some("88"), env(&[])),
        Err("unknown --colors value '88'; use none, 16, 256 or truecolor".to_owned())
    );
    // Then NO_COLOR, when not empty.
    assert_eq!(
        ColorDepth::detect_with(None, env(all)),
        Ok(ColorDepth::Mono)
    );
    let empty_no_color: &[(&str, &str)] = &[("NO_COLOR", ""), ("COLORTERM", "24bit")];
    assert_eq!(
        ColorDepth::detect_with(None, env(empty_no_color)),
        Ok(ColorDepth::TrueColor)
    );
    // Then COLORTERM, then TERM.
    let term: &[(&str, &str)] = &[("COLORTERM", "yes"), ("TERM", "screen-256color")];
    assert_eq!(
        ColorDepth::detect_with(None, env(term)),
        Ok(ColorDepth::Ansi256)
    );
    assert_eq!(
        ColorDepth::detect_with(None, env(&[("TERM", "xterm")])),
        Ok(ColorDepth::Ansi16)
    );
    assert_eq!(
        ColorDepth::detect_with(None, env(&[])),
        Ok(ColorDepth::Ansi16)
    );
}

/// Issue 12 item 20: a broken theme names every problem, in file order, not only its first;
/// `theme check` prints them all, one line each.
#[test]
fn every_problem_in_a_theme_is_named_in_file_order() {
    let path = fixture("several");
    let all = Theme::check_file_all(&path).unwrap_err();
    let lines: Vec<Option<usize>> = all.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(5), Some(9), Some(10)], "{all:#?}");
    let said: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert!(said[0].contains("shadows a named colour"), "{said:?}");
    assert!(said[1].contains("yelow"), "{said:?}");
    assert!(said[2].contains("queue.rwo"), "{said:?}");
    // Loaded, the same three; the first alone through `load`, as before.
    let loaded =
        Theme::load_all("several", Some(&fixtures()), ColorDepth::TrueColor).expect_err("broken");
    assert_eq!(
        loaded.iter().map(ToString::to_string).collect::<Vec<_>>(),
        said
    );
    assert_eq!(
        load_fixture("several").err().map(|e| e.to_string()),
        Some(said[0].clone())
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["theme", "check"])
        .arg(&path)
        .env("SWITCHBOARD_CONFIG", fixtures())
        .output()
        .expect("run theme check");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
    for s in &said {
        assert!(stderr.contains(s.as_str()), "{s} not in {stderr}");
    }
}
