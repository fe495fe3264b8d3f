//! The console's own backend (`console/lean.rs`) through a vt100 emulator: after every frame the
//! emulated screen shows what ratatui's buffer holds — colours, blank runs, wide characters,
//! cell moves — and a change costs what changed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::widgets::Widget;
use ratatui::{Terminal, TerminalOptions, Viewport};

use switchboard::console::lean::LeanBackend;

use crate::common::wire::assert_looks;

type Lines = Vec<Line<'static>>;
type Frame = Box<dyn Fn(&mut Buffer)>;

/// Draws each frame through the lean backend into a vt100 screen, checks it looks as the
/// buffer after each ([`assert_looks`]), and returns the last frame's bytes.
fn check(frames: &[Lines]) -> usize {
    let area = Rect::new(0, 0, 30, 4);
    let options = TerminalOptions {
        viewport: Viewport::Fixed(area),
    };
    let mut terminal =
        Terminal::with_options(LeanBackend::blank(Vec::new(), 30, 4), options).unwrap();
    let mut screen = vt100::Parser::new(4, 30, 0);
    let mut written = 0;
    for lines in frames {
        let frame = terminal
            .draw(|f| f.render_widget(Paragraph::new(lines.clone()), f.area()))
            .unwrap();
        let buffer = frame.buffer.clone();
        let bytes = std::mem::take(terminal.backend_mut().writer_mut());
        written = bytes.len();
        screen.process(&bytes);
        assert_looks(&screen, &buffer, &format!("{lines:?}"));
    }
    written
}

#[test]
fn the_screen_matches_the_buffer_frame_after_frame() {
    let frames: Vec<Lines> = vec![
        vec![Line::from(vec![
            Span::raw("26-BA0001 "),
            "P1".red().bold(),
            Span::raw(" 4:05"),
        ])],
        vec![Line::from(vec![
            Span::raw("26-BA0001 "),
            "P1".red().bold(),
            Span::raw(" 4:06"),
        ])],
        vec![
            Line::from(vec![
                "26-BA0001".underlined(),
                " P2 ".into(),
                "4:07".yellow(),
            ]),
            Line::from(vec![
                "STAR-1".reversed(),
                " ONS ".dim(),
                "LATE 1:00".red().bold(),
            ]),
        ],
        vec![
            Line::from(vec!["26-BA0001".into(), " P2 ".bold(), "4:08".into()]),
            Line::styled("STAR-1 ONS chk 19m", Style::new().italic()),
        ],
        vec![Line::from("é wide 漢字 then ascii")],
        vec![Line::from("plain")],
    ];
    check(&frames);
}

/// Draws each frame through a lean backend over a blank `width` × `height` screen into a
/// vt100 parser, checks every cell as [`check`] does, and returns each frame's bytes. With
/// `moves` false the backend never moves cells.
fn through_vt100(width: u16, height: u16, moves: bool, frames: &[Frame]) -> Vec<usize> {
    let area = Rect::new(0, 0, width, height);
    let options = TerminalOptions {
        viewport: Viewport::Fixed(area),
    };
    let backend = LeanBackend::blank(Vec::new(), width, height);
    let backend = if moves {
        backend
    } else {
        backend.without_moves()
    };
    let mut terminal = Terminal::with_options(backend, options).unwrap();
    let mut screen = vt100::Parser::new(height, width, 0);
    let mut written = Vec::new();
    for (n, frame) in frames.iter().enumerate() {
        let buffer = terminal
            .draw(|f| frame(f.buffer_mut()))
            .unwrap()
            .buffer
            .clone();
        let bytes = std::mem::take(terminal.backend_mut().writer_mut());
        written.push(bytes.len());
        screen.process(&bytes);
        assert_looks(&screen, &buffer, &format!("frame {n}"));
    }
    written
}

/// A map-like field: Braille dots everywhere in a world of cells, some blank, some coloured,
/// and a bold red `@`, seen through the window `pane` whose top left shows world cell
/// `(ox, oy)`; a border around it, and text in the cells beside and under it.
fn field(pane: Rect, ox: i32, oy: i32, seed: u32) -> Frame {
    Box::new(move |buf: &mut Buffer| {
        let area = buf.area;
        for y in area.top()..area.bottom() {
            // Wide symbols left of the pane, and on one line right of it too.
            let wide = if y % 3 == 0 { "漢" } else { "" };
            let end = if y == 4 { "字" } else { "" };
            let text = format!("{y:02}{wide} side text, the same in every frame, at the end {end}");
            buf.set_string(0, y, &text, Style::new().yellow());
        }
        let block = ratatui::widgets::Block::bordered().title(" Map ");
        let inner = block.inner(pane);
        ratatui::widgets::Clear.render(pane, buf);
        block.render(pane, buf);
        for y in inner.top()..inner.bottom() {
            for x in inner.left()..inner.right() {
                let wx = i32::from(x - inner.x) + ox;
                let wy = i32::from(y - inner.y) + oy;
                let h = (wx.wrapping_mul(7919) ^ wy.wrapping_mul(104_729))
                    .wrapping_add(seed as i32)
                    .wrapping_mul(2_654_435_761_u32 as i32);
                let bits = (h >> 13) & 0xff;
                let cell = &mut buf[(x, y)];
                if (wx, wy) == (20, 5) {
                    cell.set_symbol("@").set_style(Style::new().red().bold());
                } else if bits % 5 != 0 {
                    let c = char::from_u32(0x2800 + bits as u32).unwrap();
                    let style = if bits % 7 == 0 {
                        Style::new().cyan()
                    } else {
                        Style::new()
                    };
                    cell.set_char(c).set_style(style);
                }
            }
        }
        buf.set_string(
            pane.x + 1,
            pane.bottom() - 2,
            "info under the map",
            Style::new(),
        );
    })
}

/// Pans in all four directions, by one cell and by several, a zoom (a new picture), and
/// back.
fn pans(pane: Rect) -> Vec<Frame> {
    [
        (0, 0, 1),
        (7, 0, 1),
        (0, 0, 1),
        (0, 2, 1),
        (0, 0, 1),
        (-1, 0, 1),
        (-1, -1, 1),
        (5, 3, 1),
        (5, 3, 2),
        (5, 3, 1),
        (5, 4, 1),
    ]
    .into_iter()
    .map(|(ox, oy, seed)| field(pane, ox, oy, seed))
    .collect()
}

#[test]
fn a_pan_moves_the_cells_and_the_screen_still_matches_the_buffer() {
    // The map the full width (lines move), then a map with panes either side (parts of
    // lines move).
    for pane in [Rect::new(0, 1, 60, 16), Rect::new(9, 2, 36, 14)] {
        let moving = through_vt100(60, 20, true, &pans(pane));
        let plain = through_vt100(60, 20, false, &pans(pane));
        assert_eq!(moving[0], plain[0], "the first frame is drawn whole");
        // Never much more (the two backends' cursor and style differ a little by then).
        for (n, (m, p)) in moving.iter().zip(&plain).enumerate() {
            assert!(*m <= p + 32, "frame {n}: {m} B with moves, {p} B without");
        }
        // Each pan costs under two thirds of writing the changed cells; a vertical pan in
        // a pane narrower than the screen moves whole lines only where that is cheaper.
        let full = pane.width == 60;
        let single = if full {
            &[1, 2, 3, 4, 5, 10][..]
        } else {
            &[1, 2, 5][..]
        };
        for &n in single {
            assert!(
                moving[n] * 3 < plain[n] * 2,
                "{pane:?} frame {n}: {} B with moves, {} B without",
                moving[n],
                plain[n]
            );
        }
    }
}

#[test]
fn a_one_digit_change_costs_a_move_and_the_digit() {
    let a = vec![Line::from(vec![Span::raw("age "), "4:05".red()])];
    let b = vec![Line::from(vec![Span::raw("age "), "4:06".red()])];
    // After the first frame the style is known: the second writes a move, the digit, and
    // nothing else (ratatui's own backend adds resets and a colour, about 30 bytes).
    let bytes = check(&[a, b]);
    assert!(bytes <= 12, "{bytes} bytes");
}

/// Frames that each change a few places of the last: texts (runs of spaces among them) in
/// every colour form and attribute, on default and coloured backgrounds, and blanked
/// stretches, lines and boxes. Deterministic: the same every run.
fn random_frames(width: u16, height: u16, count: usize, seed: u64) -> Vec<Frame> {
    const TEXTS: [&str; 10] = [
        "26-BA0001",
        "STAR-1 ENR",
        "é",
        "      ",
        " ",
        "─────",
        "⠿⠶",
        "LONG 2:43 …",
        "ab  cd    ef",
        "z",
    ];
    let styles = [
        Style::new(),
        Style::new().red(),
        Style::new().cyan().bold(),
        Style::new().light_green().italic(),
        Style::new().reversed(),
        Style::new().underlined().yellow(),
        Style::new().dim(),
        Style::new().on_blue(),
        Style::new().on_blue().white(),
        Style::new().fg(Color::Indexed(208)),
        Style::new().fg(Color::Rgb(10, 200, 30)).on_dark_gray(),
        Style::new().bold().reversed().magenta(),
        Style::new().bg(Color::Indexed(17)),
    ];
    let mut state = seed;
    let mut next = move |n: usize| {
        // A 64-bit LCG (Knuth's MMIX constants); the high bits are the good ones.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    let mut edits: Vec<(u16, u16, u16, u16, usize, usize)> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    for _ in 0..count {
        for _ in 0..=next(4) {
            let x = next(usize::from(width)) as u16;
            let y = next(usize::from(height)) as u16;
            // Kind 0–5: a text; 6: a blanked stretch or box; 7: a whole line blank.
            let kind = next(8);
            let (w, h) = (next(usize::from(width)) as u16 + 1, next(3) as u16 + 1);
            edits.push((
                x,
                y,
                w,
                h,
                kind,
                next(TEXTS.len()) * 100 + next(styles.len()),
            ));
        }
        let edits = edits.clone();
        let styles = styles.to_vec();
        frames.push(Box::new(move |buf: &mut Buffer| {
            let area = buf.area;
            for &(x, y, w, h, kind, pick) in &edits {
                let (text, style) = (TEXTS[pick / 100], styles[pick % 100]);
                match kind {
                    0..=5 => {
                        buf.set_string(x, y, text, style);
                    }
                    6 => {
                        let r = Rect::new(x, y, w, h).intersection(area);
                        ratatui::widgets::Clear.render(r, buf);
                        if pick % 2 == 0 {
                            buf.set_style(r, style);
                        }
                    }
                    _ => {
                        ratatui::widgets::Clear.render(Rect::new(0, y, area.width, 1), buf);
                    }
                }
            }
        }));
    }
    frames
}

#[test]
fn random_frames_leave_the_screen_showing_each_frame() {
    for seed in 1..=12 {
        let frames = random_frames(24, 6, 40, seed);
        through_vt100(24, 6, true, &frames);
        through_vt100(24, 6, false, &frames);
    }
    // Wide enough that erasing to the end of a line and moves of cells happen.
    for seed in 13..=16 {
        through_vt100(70, 12, true, &random_frames(70, 12, 60, seed));
    }
}

/// A blank run erases (EL to the end of the line, ECH inside it) only on the default
/// background: a coloured background is written as spaces, and the emulated screen shows
/// it either way.
#[test]
fn blank_runs_are_erased_only_on_the_default_background() {
    let text: Frame = Box::new(|buf: &mut Buffer| {
        buf.set_string(0, 0, "a long line of text for a run", Style::new().bold());
        buf.set_string(0, 1, "another line, then more text", Style::new().on_blue());
    });
    let blanks: Frame = Box::new(|buf: &mut Buffer| {
        buf.set_string(0, 0, "a", Style::new().bold());
        buf.set_string(0, 1, "a", Style::new().on_blue());
        buf.set_style(Rect::new(1, 1, 29, 1), Style::new().on_blue());
        buf.set_string(28, 1, "xt", Style::new().on_blue());
    });
    let mut terminal = Terminal::with_options(
        LeanBackend::blank(Vec::new(), 30, 2),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 30, 2)),
        },
    )
    .unwrap();
    let mut vt = vt100::Parser::new(2, 30, 0);
    let mut last = Vec::new();
    for frame in [&text, &blanks] {
        let buffer = terminal
            .draw(|f| frame(f.buffer_mut()))
            .unwrap()
            .buffer
            .clone();
        last = std::mem::take(terminal.backend_mut().writer_mut());
        vt.process(&last);
        assert_looks(&vt, &buffer, "blank runs");
    }
    let written = String::from_utf8_lossy(&last);
    // Line 0 ends blank on the default background: one EL. Line 1's blue blanks are
    // spaces, never erased.
    assert_eq!(written.matches("\x1b[K").count(), 1, "{written:?}");
    assert!(!written.contains('X'), "{written:?}");
    assert!(written.contains(&" ".repeat(26)), "{written:?}");
}

/// Wide characters (CJK, emoji) beside blank runs that erase and text that changes: they
/// are replaced by blanks, blanks by them, and text written beside them, and the screen
/// shows each frame.
#[test]
fn wide_characters_beside_erased_runs_stay_whole() {
    let lines = |a: &'static str, b: &'static str, c: &'static str| -> Lines {
        vec![
            Line::from(a),
            Line::from(vec![Span::raw(b), "!".red()]),
            Line::from(c.bold()),
            Line::from("漢字 stays here"),
        ]
    };
    let frames = vec![
        lines("漢字 and 🙂 then text", "a🙂b          end", "x"),
        lines("漢字", "a🙂b", "字 then a long tail"),
        lines("   字 moved        x", "ab🙂          end", ""),
        lines("plain text over it all", "🙂🙂🙂", "漢"),
        lines("漢", "", "漢字漢字 then"),
        lines("", "a b c d e f g h", "  字"),
    ];
    check(&frames);
}
