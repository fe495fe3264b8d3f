//! How many colours the terminal shows, and the downgrade of a theme's colours to it.

use ratatui::style::{Color, Style};

/// The 16 named colours in ANSI index order (0–15), as theme files spell them.
pub(super) const NAMED: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
];

/// xterm's default RGB for the 16 named colours, in the order of [`NAMED`]. Terminals differ; this
/// is only the yardstick for downgrading `#rrggbb` to a named colour.
const NAMED_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];
/// How many colours the terminal shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ColorDepth {
    /// No colour at all (`--colors none`, `NO_COLOR`); modifiers still show.
    Mono,
    /// The 16 named colours, mapped by the terminal to its own palette.
    #[default]
    Ansi16,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    TrueColor,
}

impl ColorDepth {
    /// The values `--colors` accepts.
    pub const FLAG_VALUES: &'static [&'static str] = &["none", "16", "256", "truecolor"];

    /// The depth from the `--colors` flag, else the environment: `NO_COLOR`, `COLORTERM`, `TERM`.
    pub fn detect(flag: Option<&str>) -> Result<ColorDepth, String> {
        Self::detect_with(flag, |name| std::env::var(name).ok())
    }

    /// [`ColorDepth::detect`] with the environment lookup passed in, for tests.
    pub fn detect_with(
        flag: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ColorDepth, String> {
        if let Some(flag) = flag {
            return match flag.to_ascii_lowercase().as_str() {
                "none" => Ok(ColorDepth::Mono),
                "16" => Ok(ColorDepth::Ansi16),
                "256" => Ok(ColorDepth::Ansi256),
                "truecolor" => Ok(ColorDepth::TrueColor),
                _ => Err(format!(
                    "unknown --colors value '{flag}'; use none, 16, 256 or truecolor"
                )),
            };
        }
        // https://no-color.org: present and not empty.
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(ColorDepth::Mono);
        }
        if env("COLORTERM")
            .is_some_and(|v| v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit"))
        {
            return Ok(ColorDepth::TrueColor);
        }
        if env("TERM").is_some_and(|v| v.contains("256color")) {
            return Ok(ColorDepth::Ansi256);
        }
        Ok(ColorDepth::Ansi16)
    }

    /// `color` as this depth can show it: `#rrggbb` becomes the nearest xterm-256 index or the
    /// nearest named colour (plain RGB distance); `Mono` shows none.
    pub fn adapt(self, color: Color) -> Option<Color> {
        match (self, color) {
            (ColorDepth::Mono, _) => None,
            (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => {
                Some(Color::Indexed(nearest_256((r, g, b))))
            }
            (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => Some(nearest_named((r, g, b))),
            (ColorDepth::Ansi16, Color::Indexed(i)) => Some(nearest_named(xterm_rgb(i))),
            (_, color) => Some(color),
        }
    }

    pub(super) fn adapt_style(self, style: Style) -> Style {
        let mut adapted = style;
        adapted.fg = style.fg.and_then(|c| self.adapt(c));
        adapted.bg = style.bg.and_then(|c| self.adapt(c));
        adapted
    }
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs().pow(2);
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

/// The RGB of xterm colour `index`: the 16 named colours, the 6×6×6 cube, the 24 greys.
fn xterm_rgb(index: u8) -> (u8, u8, u8) {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match index {
        0..=15 => NAMED_RGB[usize::from(index)],
        16..=231 => {
            let i = usize::from(index - 16);
            (LEVELS[i / 36], LEVELS[i / 6 % 6], LEVELS[i % 6])
        }
        _ => {
            let grey = 8 + 10 * (index - 232);
            (grey, grey, grey)
        }
    }
}

/// The nearest of indices 16–255, whose colours (unlike 0–15) terminals do not re-map.
fn nearest_256(rgb: (u8, u8, u8)) -> u8 {
    (16..=255)
        .min_by_key(|&i| distance(rgb, xterm_rgb(i)))
        .unwrap_or(16)
}

fn nearest_named(rgb: (u8, u8, u8)) -> Color {
    NAMED
        .iter()
        .zip(NAMED_RGB)
        .min_by_key(|(_, named)| distance(rgb, *named))
        .map_or(Color::Reset, |((_, color), _)| *color)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xterm_cube_and_greys() {
        assert_eq!(xterm_rgb(196), (255, 0, 0));
        assert_eq!(xterm_rgb(16), (0, 0, 0));
        assert_eq!(xterm_rgb(231), (255, 255, 255));
        assert_eq!(xterm_rgb(232), (8, 8, 8));
        assert_eq!(xterm_rgb(255), (238, 238, 238));
        for i in 16..=255 {
            assert_eq!(nearest_256(xterm_rgb(i)), i, "index {i} round-trips");
        }
    }
}
