//! Keymaps: the shipped presets load clean, key and condition notations round-trip, lookup
//! follows chords and `when`, user files extend presets, each broken fixture names its problem
//! exactly, and `load` always gives the console something to start with.

// Helpers outside #[test] functions unwrap and panic too; a failed test is the point.

use std::fs;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use switchboard::console::keymap::{
    parse_keys, print_keys, Binding, Condition, Flag, Key, Keymap, Lookup, Mode, PRESETS,
};

const C: KeyModifiers = KeyModifiers::CONTROL;
const A: KeyModifiers = KeyModifiers::ALT;
const S: KeyModifiers = KeyModifiers::SHIFT;
const NONE: KeyModifiers = KeyModifiers::NONE;

fn key(code: KeyCode, modifiers: KeyModifiers) -> Key {
    Key::new(code, modifiers)
}

fn keys(text: &str) -> Vec<Key> {
    parse_keys(text).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keymaps")
        .join(name)
}

fn preset(name: &str) -> Keymap {
    Keymap::preset(name).unwrap()
}

fn no_flags(_: &str) -> bool {
    false
}

/// The fixture's problems, each `line: message` after the path.
fn problems(name: &str) -> Vec<String> {
    let path = fixture(name);
    let prefix = format!("{}:", path.display());
    match Keymap::check_file(&path) {
        Ok(_) => panic!("{name} should not load"),
        Err(errors) => errors
            .iter()
            .map(|e| {
                let line = e.to_string();
                assert!(
                    line.starts_with(&prefix),
                    "{line} should start with the file's path"
                );
                assert!(!line.contains('\n'), "{line} should be one line");
                line[prefix.len()..].to_owned()
            })
            .collect(),
    }
}

fn run<'a>(lookup: &Lookup<'a>) -> Option<&'a str> {
    match lookup {
        Lookup::Run(b) => Some(b.run.as_str()),
        _ => None,
    }
}

fn pending(lookup: &Lookup<'_>) -> Vec<String> {
    match lookup {
        Lookup::Pending(bindings) => bindings.iter().map(|b| b.keys()).collect(),
        other => panic!("expected Pending, got {other:?}"),
    }
}

// ---- presets -------------------------------------------------------------------------------

#[test]
fn presets_load_without_problems() {
    for (name, _) in PRESETS {
        assert!(
            Keymap::preset(name).is_ok(),
            "{name}: {:?}",
            Keymap::preset(name).err()
        );
        let (keymap, problems) = Keymap::load(name, None);
        assert_eq!(problems, Vec::<String>::new(), "{name}");
        assert_eq!(keymap, preset(name));
        for mode in Mode::ALL {
            for binding in keymap.bindings(mode) {
                assert!(
                    !binding.desc.is_empty(),
                    "{name} {mode} {} has no desc",
                    binding.keys()
                );
            }
        }
    }
    assert_eq!(preset("default").start(), Mode::Command);
    assert_eq!(preset("vim").start(), Mode::Normal);
    let empty = tempfile::tempdir().unwrap();
    let (keymap, problems) = Keymap::load("vim", Some(empty.path()));
    assert!(problems.is_empty());
    assert_eq!(keymap, preset("vim"));
}

#[test]
fn default_preset_is_cad_style() {
    let map = preset("default");
    let at = |k: &str| run(&map.lookup(Mode::Command, &keys(k), &no_flags));
    let table = [
        ("<F1>", "help"),
        ("<F2>", "intake"),
        ("<F3>", "cmdline note "),
        ("<F4>", "cmdline close "),
        ("<F5>", "dp"),
        ("<F6>", "enr"),
        ("<F7>", "ons"),
        ("<F8>", "avl"),
        ("<F9>", "cmdline trn "),
        ("<C-n>", "select call next"),
        ("<C-p>", "select call prev"),
        ("<PageDown>", "select call next"),
        ("<PageUp>", "select call prev"),
        ("<A-n>", "select unit next"),
        ("<A-p>", "select unit prev"),
        ("<A-Down>", "select unit next"),
        ("<A-Up>", "select unit prev"),
        ("<Esc>", "cancel"),
        ("<C-l>", "redraw"),
        ("<C-q>", "quit"),
        ("<C-x> <C-c>", "quit"),
        ("<C-x> a", "accept"),
        ("<C-x> r", "cmdline reject "),
        ("<C-x> x", "cmdline transfer "),
    ];
    for (k, expected) in table {
        assert_eq!(at(k), Some(expected), "{k}");
    }
    // F10 stays free for terminals that take it; `:` is typed into the line, not bound.
    assert_eq!(at("<F10>"), None);
    assert_eq!(at(":"), None);
    for mode in [Mode::Form, Mode::Help] {
        assert_eq!(
            run(&map.lookup(mode, &keys("<Esc>"), &no_flags)),
            Some("cancel")
        );
    }
    for k in ["q", "?", "<F1>"] {
        assert_eq!(
            run(&map.lookup(Mode::Help, &keys(k), &no_flags)),
            Some("cancel"),
            "{k}"
        );
    }
    // Whoever types `normal` can get back.
    assert_eq!(
        run(&map.lookup(Mode::Normal, &keys(":"), &no_flags)),
        Some("cmdline")
    );
    assert_eq!(
        run(&map.lookup(Mode::Normal, &keys("<Esc>"), &no_flags)),
        Some("cancel")
    );
}

#[test]
fn vim_preset_is_modal() {
    let map = preset("vim");
    let at = |k: &str| run(&map.lookup(Mode::Normal, &keys(k), &no_flags));
    let table = [
        (":", "cmdline"),
        ("j", "select call next"),
        ("k", "select call prev"),
        ("J", "select unit next"),
        ("K", "select unit prev"),
        ("g g", "select call first"),
        ("G", "select call last"),
        ("i", "intake"),
        ("d", "dp"),
        ("e", "enr"),
        ("o", "ons"),
        ("a", "avl"),
        ("n", "cmdline note "),
        ("c", "cmdline close "),
        ("?", "help"),
        ("Z Z", "quit"),
        ("<C-l>", "redraw"),
        ("<Space> a", "accept"),
        ("<Space> r", "cmdline reject "),
        ("<Space> x", "cmdline transfer "),
    ];
    for (k, expected) in table {
        assert_eq!(at(k), Some(expected), "{k}");
    }
    assert_eq!(
        run(&map.lookup(Mode::Command, &keys("<Esc>"), &no_flags)),
        Some("normal")
    );
    assert_eq!(run(&map.lookup(Mode::Command, &keys(":"), &no_flags)), None);
    // crossterm reports `G` with Shift; it is still `G`.
    let shifted_g = Key::from_event(&KeyEvent::new(KeyCode::Char('G'), S));
    assert_eq!(
        run(&map.lookup(Mode::Normal, &[shifted_g], &no_flags)),
        Some("select call last")
    );
}

#[test]
fn both_presets_reach_the_same_trainer_keys() {
    for (name, mode, enter) in [
        ("default", Mode::Command, "<C-x> t"),
        ("vim", Mode::Normal, "<Space> t"),
    ] {
        let map = preset(name);
        assert_eq!(
            run(&map.lookup(mode, &keys(enter), &no_flags)),
            Some("trainer"),
            "{name}"
        );
        for (k, expected) in [
            ("p", "sim-pause"),
            ("<Space>", "sim-pause"),
            ("+", "sim-faster"),
            ("-", "sim-slower"),
            ("i", "sim-inject"),
            ("E", "sim-end"),
            ("<Esc>", "cancel"),
            ("q", "cancel"),
            ("<F1>", "help"),
        ] {
            assert_eq!(
                run(&map.lookup(Mode::Trainer, &keys(k), &no_flags)),
                Some(expected),
                "{name} {k}"
            );
        }
    }
}

#[test]
fn print_lists_every_mode() {
    let text = preset("vim").print();
    assert!(text.starts_with("start = normal\n"), "{text}");
    for heading in [
        "\nnormal mode\n",
        "\ncommand mode\n",
        "\nform mode\n",
        "\nhelp mode\n",
        "\ntrainer mode\n",
    ] {
        assert!(text.contains(heading), "{heading:?} in\n{text}");
    }
    let gg = text
        .lines()
        .find(|l| l.trim_start().starts_with("g g "))
        .unwrap();
    assert!(
        gg.contains("select call first") && gg.ends_with("First call"),
        "{gg}"
    );
    // A trailing space is part of the line typed, so it is shown.
    assert!(text.contains("\"cmdline note \""), "{text}");
    let user = Keymap::check_file(&fixture("user.toml")).unwrap().print();
    assert!(
        user.contains("[when call-selected && !call-closed]"),
        "{user}"
    );
}

// ---- key notation --------------------------------------------------------------------------

#[test]
fn key_notation_table() {
    let table = [
        ("j", key(KeyCode::Char('j'), NONE)),
        ("G", key(KeyCode::Char('G'), NONE)),
        (":", key(KeyCode::Char(':'), NONE)),
        ("?", key(KeyCode::Char('?'), NONE)),
        (">", key(KeyCode::Char('>'), NONE)),
        ("-", key(KeyCode::Char('-'), NONE)),
        ("é", key(KeyCode::Char('é'), NONE)),
        ("<lt>", key(KeyCode::Char('<'), NONE)),
        ("<Space>", key(KeyCode::Char(' '), NONE)),
        ("<C-d>", key(KeyCode::Char('d'), C)),
        ("<A-x>", key(KeyCode::Char('x'), A)),
        ("<C-A-x>", key(KeyCode::Char('x'), C | A)),
        ("<C-X>", key(KeyCode::Char('X'), C)),
        ("<C-->", key(KeyCode::Char('-'), C)),
        ("<C->>", key(KeyCode::Char('>'), C)),
        ("<A-lt>", key(KeyCode::Char('<'), A)),
        ("<C-Space>", key(KeyCode::Char(' '), C)),
        ("<S-Tab>", key(KeyCode::BackTab, NONE)),
        ("<C-S-Tab>", key(KeyCode::BackTab, C)),
        ("<Tab>", key(KeyCode::Tab, NONE)),
        ("<F1>", key(KeyCode::F(1), NONE)),
        ("<F12>", key(KeyCode::F(12), NONE)),
        ("<S-F5>", key(KeyCode::F(5), S)),
        ("<Up>", key(KeyCode::Up, NONE)),
        ("<Down>", key(KeyCode::Down, NONE)),
        ("<Left>", key(KeyCode::Left, NONE)),
        ("<Right>", key(KeyCode::Right, NONE)),
        ("<Home>", key(KeyCode::Home, NONE)),
        ("<C-End>", key(KeyCode::End, C)),
        ("<PageUp>", key(KeyCode::PageUp, NONE)),
        ("<PageDown>", key(KeyCode::PageDown, NONE)),
        ("<Enter>", key(KeyCode::Enter, NONE)),
        ("<Esc>", key(KeyCode::Esc, NONE)),
        ("<Backspace>", key(KeyCode::Backspace, NONE)),
        ("<Delete>", key(KeyCode::Delete, NONE)),
        ("<A-S-Up>", key(KeyCode::Up, A | S)),
    ];
    for (text, expected) in table {
        assert_eq!(Key::parse(text), Ok(expected), "{text}");
        assert_eq!(expected.to_string(), text);
    }
    // Other spellings read, and print the one way.
    for (text, printed) in [
        ("<c-d>", "<C-d>"),
        ("<M-x>", "<A-x>"),
        ("<CR>", "<Enter>"),
        ("<escape>", "<Esc>"),
        ("<BackTab>", "<S-Tab>"),
        ("<PgDn>", "<PageDown>"),
        (" ", "<Space>"),
        ("<x>", "x"),
    ] {
        assert_eq!(
            Key::parse(text).map(|k| k.to_string()),
            Ok(printed.to_owned()),
            "{text}"
        );
    }
    assert_eq!(print_keys(&keys("<C-x>   <C-c>")), "<C-x> <C-c>");
}

#[test]
fn bad_keys_say_why() {
    let table = [
        ("", "empty key"),
        ("<", "write the < key as <lt>"),
        (
            "gg",
            "one key per string; write a chord as an array: on = [\"g\", \"g\"]",
        ),
        (
            "<C-x><C-c>",
            "one key per string; write a chord as an array: on = [\"<C-x>\", \"<C-c>\"]",
        ),
        (
            "<PgDown>",
            "unknown key name 'PgDown' (did you mean PageDown?)",
        ),
        ("<Escp>", "unknown key name 'Escp' (did you mean Esc?)"),
        ("<F13>", "function keys go from F1 to F12"),
        (
            "<X-d>",
            "unknown modifier 'X-'; modifiers are C- (Ctrl), A- (Alt), S- (Shift)",
        ),
        ("<C-C-d>", "modifier 'C-' is given twice"),
        (
            "<S-x>",
            "Shift with a letter is the capital letter: write X",
        ),
        (
            "<C-S-x>",
            "Shift with a letter is the capital letter: write <C-X>",
        ),
        (
            "<S-1>",
            "Shift with a character: write the character Shift types (! rather than <S-1>)",
        ),
    ];
    for (text, error) in table {
        assert_eq!(Key::parse(text), Err(error.to_owned()), "{text}");
    }
}

#[test]
fn events_are_normalized() {
    let event = |code, modifiers| Key::from_event(&KeyEvent::new(code, modifiers)).to_string();
    assert_eq!(event(KeyCode::Char('G'), S), "G");
    assert_eq!(event(KeyCode::Char('g'), S), "G");
    assert_eq!(event(KeyCode::Char('?'), S), "?");
    assert_eq!(event(KeyCode::Char('d'), C), "<C-d>");
    assert_eq!(event(KeyCode::Char('x'), C | S), "<C-X>");
    assert_eq!(event(KeyCode::BackTab, S), "<S-Tab>");
    assert_eq!(event(KeyCode::Up, S), "<S-Up>");
    assert_eq!(event(KeyCode::Char('x'), KeyModifiers::META), "<A-x>");
    assert_eq!(event(KeyCode::F(2), KeyModifiers::SUPER), "<F2>");
    assert_eq!(event(KeyCode::Char(' '), NONE), "<Space>");
}

fn any_key() -> impl Strategy<Value = Key> {
    let named = prop::sample::select(vec![
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::PageDown,
    ]);
    let code = prop_oneof![
        prop::char::range(' ', '~').prop_map(KeyCode::Char),
        prop::sample::select(vec!['é', 'ß', 'Ω', 'ж', '€']).prop_map(KeyCode::Char),
        (1u8..=12).prop_map(KeyCode::F),
        named,
    ];
    (code, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(code, c, a, s)| {
        let mut modifiers = NONE;
        modifiers.set(C, c);
        modifiers.set(A, a);
        modifiers.set(S, s);
        Key::new(code, modifiers)
    })
}

proptest! {
    #[test]
    fn keys_round_trip(k in any_key()) {
        prop_assert_eq!(Key::parse(&k.to_string()), Ok(k));
    }

    #[test]
    fn chords_round_trip(ks in prop::collection::vec(any_key(), 1..4)) {
        prop_assert_eq!(parse_keys(&print_keys(&ks)), Ok(ks));
    }
}

// ---- conditions ----------------------------------------------------------------------------

#[test]
fn conditions_round_trip_and_eval() {
    let table = [
        ("call-selected", "call-selected"),
        ("!call-closed", "!call-closed"),
        (
            "call-selected && !call-closed",
            "call-selected && !call-closed",
        ),
        (
            "call-selected&&unit-selected||training",
            "call-selected && unit-selected || training",
        ),
        (
            "training || call-selected && unit-selected",
            "training || call-selected && unit-selected",
        ),
        (
            "(training || call-selected) && unit-selected",
            "(training || call-selected) && unit-selected",
        ),
        (
            "!(call-pending || line-empty)",
            "!(call-pending || line-empty)",
        ),
        (
            "call-selected && (unit-selected && training)",
            "call-selected && (unit-selected && training)",
        ),
        ("((call-selected))", "call-selected"),
        ("!!training", "!!training"),
    ];
    for (text, printed) in table {
        let condition = Condition::parse(text).unwrap();
        assert_eq!(condition.to_string(), printed, "{text}");
        assert_eq!(Condition::parse(printed), Ok(condition), "{text}");
    }
    let on = |set: &'static [&'static str]| move |flag: &str| set.contains(&flag);
    let c = Condition::parse("call-selected && !call-closed").unwrap();
    assert!(c.eval(&on(&["call-selected"])));
    assert!(!c.eval(&on(&["call-selected", "call-closed"])));
    assert!(!c.eval(&on(&[])));
    let c = Condition::parse("training || call-selected && unit-selected").unwrap();
    assert!(c.eval(&on(&["training"])));
    assert!(!c.eval(&on(&["call-selected"])));
    assert!(c.eval(&on(&["call-selected", "unit-selected"])));
    let c = Condition::parse("(training || call-selected) && unit-selected").unwrap();
    assert!(!c.eval(&on(&["training"])));
}

#[test]
fn bad_conditions_say_why() {
    let table = [
        ("", "empty condition"),
        ("call-selected &&", "expected a flag after &&"),
        ("call-selected || ", "expected a flag after ||"),
        ("!", "expected a flag after !"),
        ("(call-selected", "a ( is not closed; add the closing )"),
        ("call-selected)", "a ) has no matching ("),
        ("call-selected training", "expected && or || before training"),
        ("call-selected & training", "write &&, not a single &"),
        ("call-selected and training", "unknown flag 'and'; flags are call-selected, unit-selected, call-closed, call-pending, line-empty, training"),
        ("call-selcted", "unknown flag 'call-selcted' (did you mean call-selected?)"),
        ("&& training", "expected a flag, found &&"),
        ("call-selected == 1", "unexpected '='"),
    ];
    for (text, error) in table {
        assert_eq!(Condition::parse(text), Err(error.to_owned()), "{text:?}");
    }
    let too_long = "training && ".repeat(40) + "training";
    assert_eq!(
        Condition::parse(&too_long),
        Err("the condition is too long (over 64 flags and operators)".to_owned())
    );
    assert!(Condition::parse(&"!".repeat(10_000)).is_err());
    let deep = format!("{}training{}", "(".repeat(31), ")".repeat(31));
    assert_eq!(Condition::parse(&deep), Ok(Condition::Flag(Flag::Training)));
}

fn any_condition() -> impl Strategy<Value = Condition> {
    let leaf = prop::sample::select(Flag::ALL.to_vec()).prop_map(Condition::Flag);
    leaf.prop_recursive(5, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Condition::Not(Box::new(c))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Condition::Or(Box::new(a), Box::new(b))),
        ]
    })
}

proptest! {
    #[test]
    fn conditions_round_trip(c in any_condition(), set in prop::collection::vec(any::<bool>(), 6)) {
        let printed = c.to_string();
        let parsed = Condition::parse(&printed);
        prop_assert_eq!(parsed.as_ref(), Ok(&c), "{}", printed);
        let flags = |word: &str| Flag::ALL.iter().position(|f| f.word() == word).is_some_and(|i| set[i]);
        prop_assert_eq!(parsed.unwrap().eval(&flags), c.eval(&flags));
    }
}

// ---- lookup --------------------------------------------------------------------------------

#[test]
fn lookup_single_keys_and_chords() {
    let map = preset("default");
    let look = |k: &str| map.lookup(Mode::Command, &keys(k), &no_flags);
    assert_eq!(run(&look("<F5>")), Some("dp"));
    assert_eq!(look("<F10>"), Lookup::Unbound);
    assert_eq!(map.lookup(Mode::Command, &[], &no_flags), Lookup::Unbound);
    // A chord's first key waits, and says what can follow (which-key).
    assert_eq!(
        pending(&look("<C-x>")),
        [
            "<C-x> <C-c>",
            "<C-x> t",
            "<C-x> a",
            "<C-x> r",
            "<C-x> x",
            "<C-x> o",
            "<C-x> f"
        ]
    );
    assert_eq!(run(&look("<C-x> <C-c>")), Some("quit"));
    assert_eq!(look("<C-x> <C-d>"), Lookup::Unbound);
    assert_eq!(look("<F5> <F5>"), Lookup::Unbound);
    // The same key means different things per mode.
    assert_eq!(
        run(&map.lookup(Mode::Help, &keys("<F1>"), &no_flags)),
        Some("cancel")
    );

    let vim = preset("vim");
    let look = |k: &str| vim.lookup(Mode::Normal, &keys(k), &no_flags);
    let Lookup::Pending(next) = look("g") else {
        panic!("g should wait")
    };
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].run, "select call first");
    assert_eq!(next[0].desc, "First call");
    assert_eq!(run(&look("g g")), Some("select call first"));
    assert_eq!(look("g j"), Lookup::Unbound);
    assert_eq!(pending(&look("Z")), ["Z Z"]);
}

#[test]
fn lookup_skips_bindings_whose_when_is_false() {
    let map = Keymap::check_file(&fixture("user.toml")).unwrap();
    let chord = keys("<C-g> c");
    let selected = |flag: &str| flag == "call-selected";
    let closed = |flag: &str| flag == "call-selected" || flag == "call-closed";
    assert_eq!(
        map.lookup(Mode::Command, &chord[..1], &no_flags),
        Lookup::Unbound
    );
    assert_eq!(
        map.lookup(Mode::Command, &chord, &no_flags),
        Lookup::Unbound
    );
    assert_eq!(map.lookup(Mode::Command, &chord, &closed), Lookup::Unbound);
    assert_eq!(
        pending(&map.lookup(Mode::Command, &chord[..1], &selected)),
        ["<C-g> c"]
    );
    let Lookup::Run(binding) = map.lookup(Mode::Command, &chord, &selected) else {
        panic!("the chord should run when a call is selected and open")
    };
    assert_eq!(
        *binding,
        Binding {
            on: chord.clone(),
            run: "close resolved".into(),
            desc: "Close resolved".into(),
            when: Some(Condition::parse("call-selected && !call-closed").unwrap()),
        }
    );
}

// ---- user files ----------------------------------------------------------------------------

fn assert_user_keymap(map: &Keymap) {
    let default = preset("default");
    let look = |k: &str| run(&map.lookup(Mode::Command, &keys(k), &no_flags));
    assert_eq!(map.start(), Mode::Command);
    assert_eq!(look("<F5>"), None, "F5 is unbound");
    assert_eq!(look("<F12>"), Some("dp --force"));
    assert_eq!(look("<F6>"), Some("enr"), "the rest of default stays");
    // F1 is replaced where it stood.
    let first = &map.bindings(Mode::Command)[0];
    assert_eq!(
        (first.keys().as_str(), first.desc.as_str()),
        ("<F1>", "Keys")
    );
    assert_eq!(
        map.bindings(Mode::Command).len(),
        default.bindings(Mode::Command).len() + 1
    );
    assert_eq!(map.bindings(Mode::Help), default.bindings(Mode::Help));
}

#[test]
fn a_user_file_extends_default() {
    assert_user_keymap(&Keymap::check_file(&fixture("user.toml")).unwrap());
    let config = tempfile::tempdir().unwrap();
    fs::create_dir(config.path().join("keymaps")).unwrap();
    fs::copy(
        fixture("user.toml"),
        config.path().join("keymaps/mine.toml"),
    )
    .unwrap();
    let (map, problems) = Keymap::load("mine", Some(config.path()));
    assert_eq!(problems, Vec::<String>::new());
    assert_user_keymap(&map);
}

#[test]
fn a_user_file_can_extend_vim_and_change_the_start() {
    let config = tempfile::tempdir().unwrap();
    fs::create_dir(config.path().join("keymaps")).unwrap();
    let text = "extends = \"vim\"\nstart = \"command\"\n\n[[normal]]\non = \"x\"\nrun = \"select unit first\"\n\n[[normal]]\non = [\"g\", \"u\"]\nrun = \"select unit last\"\n";
    fs::write(config.path().join("keymaps/vim.toml"), text).unwrap();
    let (map, problems) = Keymap::load("vim", Some(config.path()));
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(map.start(), Mode::Command);
    assert_eq!(
        run(&map.lookup(Mode::Normal, &keys("x"), &no_flags)),
        Some("select unit first")
    );
    assert_eq!(
        pending(&map.lookup(Mode::Normal, &keys("g"), &no_flags)),
        ["g g", "g u"]
    );
    // Lines are right with [[table]] headers too.
    fs::write(
        config.path().join("keymaps/vim.toml"),
        text.replace("\"x\"", "\"<F0>\""),
    )
    .unwrap();
    let (_, problems) = Keymap::load("vim", Some(config.path()));
    let path = config.path().join("keymaps/vim.toml");
    assert_eq!(
        problems[0],
        format!(
            "{}:5: bad key \"<F0>\": function keys go from F1 to F12",
            path.display()
        )
    );
}

// ---- broken fixtures -----------------------------------------------------------------------

#[test]
fn a_toml_syntax_error() {
    assert_eq!(
        problems("syntax.toml"),
        ["3: TOML syntax: missing comma between key-value pairs, expected `,`"]
    );
}

#[test]
fn an_unknown_mode() {
    assert_eq!(
        problems("unknown_mode.toml"),
        ["2: unknown mode 'comand' (did you mean command?)"]
    );
}

#[test]
fn an_unknown_key() {
    assert_eq!(
        problems("unknown_key.toml"),
        ["3: unknown key 'descr' in a binding (did you mean desc?)"]
    );
}

#[test]
fn a_bad_key() {
    assert_eq!(
        problems("bad_key.toml"),
        ["3: bad key \"<PgDown>\": unknown key name 'PgDown' (did you mean PageDown?)"]
    );
    assert_eq!(
        problems("chord_string.toml"),
        ["3: bad key \"gu\": one key per string; write a chord as an array: on = [\"g\", \"u\"]"]
    );
}

#[test]
fn a_key_the_console_keeps() {
    assert_eq!(
        problems("reserved.toml"),
        ["3: j in command mode is typed into the command line, never a binding; bind a function key or a Ctrl/Alt chord"]
    );
}

#[test]
fn an_unknown_command() {
    assert_eq!(
        problems("unknown_command.toml"),
        ["3: run \"dispach\": unknown command 'dispach'; did you mean 'dispatch'?"]
    );
}

#[test]
fn bad_arguments() {
    assert_eq!(
        problems("bad_args.toml"),
        ["3: run \"close happy\": unknown disposition 'happy'; one of: resolved, community-transport, hospital, declined, gone, police-needed, ems-needed, referred-988, follow-up, cancelled, duplicate"]
    );
}

#[test]
fn a_duplicate_binding_names_both_lines() {
    assert_eq!(
        problems("duplicate.toml"),
        ["5: duplicate binding <F11> in command mode; first bound at line 3"]
    );
}

#[test]
fn an_ambiguous_prefix() {
    assert_eq!(
        problems("prefix.toml"),
        ["4: ambiguous prefix in normal mode: g (line 3) is the start of g u (line 4)"]
    );
    assert_eq!(
        problems("prefix_preset.toml"),
        ["3: ambiguous prefix in normal mode: g is the start of g g from preset vim; unbind g g first"]
    );
}

#[test]
fn a_bad_when() {
    assert_eq!(
        problems("bad_when.toml"),
        ["3: when \"call-selected && !call-closd\": unknown flag 'call-closd' (did you mean call-closed?)"]
    );
}

#[test]
fn unbinding_what_is_not_bound() {
    assert_eq!(
        problems("unbind_unbound.toml"),
        ["4: cannot unbind <F11> in command mode: preset default does not bind it"]
    );
}

#[test]
fn every_problem_is_reported_in_line_order() {
    assert_eq!(
        problems("many.toml"),
        [
            "1: unknown preset 'vin' (did you mean vim?)",
            "2: start = \"form\": a keymap starts in command or normal",
            "4: bad key \"<F13>\": function keys go from F1 to F12",
            "5: run \"fly\": unknown command 'fly'",
            "6: a binding needs run, such as { on = \"<F1>\", run = \"help\" }",
        ]
    );
}

#[test]
fn more_problems_in_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("extends = 3\n", "1: extends must be a string, not integer"),
        ("command = \"help\"\n", "1: command must be an array of tables, not string"),
        ("command = [\"help\"]\n", "1: command: expected a table like { on = \"<F1>\", run = \"help\" }, not string"),
        ("keys = 1\n", "1: unknown key 'keys' at the top; keys are extends, start, normal, command, form, help, trainer, unbind"),
        ("satrt = \"normal\"\n", "1: unknown key 'satrt' at the top (did you mean start?)"),
        ("insert = []\n", "1: unknown mode 'insert'; modes are normal, command, form, help, trainer"),
        ("command = [ { on = [], run = \"help\" } ]\n", "1: on is empty; give a key such as \"<F1>\""),
        ("command = [ { on = 5, run = \"help\" } ]\n", "1: on must be a key or an array of keys, not integer"),
        ("command = [ { on = \"<F12>\", run = \" \" } ]\n", "1: run is empty; give a command line such as \"help\""),
        ("command = [ { on = \"<F12>\", run = \"quit now\" } ]\n", "1: run \"quit now\": quit takes no arguments"),
        ("command = [ { on = \"<F12>\", run = \"hlep\" } ]\n", "1: run \"hlep\": unknown command 'hlep'; did you mean 'help'?"),
        ("form = [ { on = \"<Tab>\", run = \"help\" } ]\n", "1: <Tab> in form mode is moving between fields, never a binding; bind <Esc>, a function key or a Ctrl/Alt chord"),
        ("command = [ { on = \"<Up>\", run = \"help\" } ]\n", "1: <Up> in command mode is history, never a binding; bind a function key or a Ctrl/Alt chord"),
        ("unbind = [ { mode = \"comand\", on = \"<F5>\" } ]\n", "1: unknown mode 'comand' (did you mean command?)"),
        ("unbind = [ { mode = \"normal\", on = \"g\" } ]\nextends = \"vim\"\n", "1: cannot unbind g in normal mode: preset vim binds g g but not g"),
        ("unbind = [ { mode = \"help\", on = \"q\" }, { mode = \"help\", on = \"q\" } ]\n", "1: q in help mode is already unbound at line 1"),
        ("unbind = [ { mode = \"help\", key = \"q\" } ]\n", "1: unknown key 'key' in an unbind; keys are mode, on"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.toml"));
        fs::write(&path, text).unwrap();
        let errors: Vec<String> = Keymap::check_file(&path)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors.first(),
            Some(&format!("{}:{expected}", path.display())),
            "{text}"
        );
    }
    let missing = dir.path().join("missing.toml");
    let error = Keymap::check_file(&missing).unwrap_err()[0].to_string();
    assert!(
        error.starts_with(&format!("{}: cannot read: ", missing.display())),
        "{error}"
    );
}

// ---- load never fails ----------------------------------------------------------------------

#[test]
fn a_broken_user_keymap_falls_back_to_its_preset() {
    let config = tempfile::tempdir().unwrap();
    let keymaps = config.path().join("keymaps");
    fs::create_dir(&keymaps).unwrap();

    // Broken, extending default (by leaving extends out).
    fs::copy(fixture("duplicate.toml"), keymaps.join("default.toml")).unwrap();
    let (map, problems) = Keymap::load("default", Some(config.path()));
    assert_eq!(map, preset("default"));
    let file = keymaps.join("default.toml");
    assert_eq!(
        problems,
        [
            format!(
                "{}:5: duplicate binding <F11> in command mode; first bound at line 3",
                file.display()
            ),
            "keymap 'default' has problems; using the preset default meanwhile".to_owned(),
        ]
    );

    // Broken, extending vim: vim it is.
    fs::copy(fixture("chord_string.toml"), keymaps.join("mine.toml")).unwrap();
    let (map, problems) = Keymap::load("mine", Some(config.path()));
    assert_eq!(map, preset("vim"));
    assert_eq!(problems.len(), 2);

    // Even a file that does not parse says which preset it extends.
    fs::write(
        keymaps.join("mine.toml"),
        "extends = \"vim\"\nnormal = [ { on = \"x\" \n",
    )
    .unwrap();
    let (map, problems) = Keymap::load("mine", Some(config.path()));
    assert_eq!(map, preset("vim"));
    assert!(
        problems[0].contains("mine.toml:2: TOML syntax: "),
        "{problems:?}"
    );

    // An unknown preset name with no user file.
    let (map, problems) = Keymap::load("vin", Some(config.path()));
    assert_eq!(map, preset("default"));
    assert_eq!(
        problems,
        [
            format!(
                "keymap 'vin' is not a file ({}) nor a preset (did you mean vim?)",
                keymaps.join("vin.toml").display()
            ),
            "keymap 'vin' has problems; using the preset default meanwhile".to_owned(),
        ]
    );
    let (map, problems) = Keymap::load("emacs", None);
    assert_eq!(map, preset("default"));
    assert_eq!(
        problems[0],
        "keymap 'emacs' is not a preset; presets are default, vim"
    );

    // A file that cannot be read.
    fs::create_dir(keymaps.join("dir.toml")).unwrap();
    let (map, problems) = Keymap::load("dir", Some(config.path()));
    assert_eq!(map, preset("default"));
    assert!(
        problems[0].contains("dir.toml: cannot read: "),
        "{problems:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever is in the file, `load` returns a keymap and one-line problems.
    #[test]
    fn load_never_panics(text in prop_oneof![
        "[a-z\\[\\]{}=\",<> \n-]{0,80}",
        "(extends = \"vim\"\n)?(command|normal|unbind) = \\[ \\{ (on|mode|run|when) = \"[<>CF1a-z -]{0,8}\", (run|on) = \"[a-z <>&|!()-]{0,12}\" \\} \\]\n",
    ]) {
        let config = tempfile::tempdir().unwrap();
        fs::create_dir(config.path().join("keymaps")).unwrap();
        fs::write(config.path().join("keymaps/fuzz.toml"), &text).unwrap();
        let (map, problems) = Keymap::load("fuzz", Some(config.path()));
        prop_assert!(problems.iter().all(|p| !p.contains('\n')), "{:?}", problems);
        if !problems.is_empty() {
            prop_assert!(map == preset("default") || map == preset("vim"));
        }
    }
}
