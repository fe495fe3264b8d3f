//! The map pane: the selected call's surroundings over the panes, drawn from the gazetteer's
//! address points as Braille dots (`.` and `:` in ASCII) so that the points trace the streets,
//! with the call (`@`), the other open calls (`*`), the units where they were last seen (`#`
//! and their callsign), the names of the few streets nearest the call, and below the map the
//! nearest free units with their straight-line distances. Every mark is its own glyph, so the
//! map reads in ASCII and without colour. Keys: docs/places.md.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use crate::console::app::App;
use crate::domain::place::Coords;
use crate::domain::recommend::{response_plan, Distance, Fill, Ranked};
use crate::domain::{Call, Placement, UnitStatus};
use crate::places::map::{draw_addresses, nearest_streets, Projection, Raster};

use super::{pane, trim};

/// Streets named around the call.
const STREET_LABELS: usize = 4;
/// Rows under the map for the call and the nearest free units.
const INFO_ROWS: u16 = 2;

pub struct MapView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> MapView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        MapView { app, now_ms }
    }
}

impl Widget for MapView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let map = &app.ui.map;
        let call = app.selected_call();
        let gazetteer = app.desk.gazetteer();
        Clear.render(area, buf);
        let metres = map.metres();
        let title = format!(
            " Map {}, 1 dot {metres} m ",
            call.map_or("(no call)", |c| c.id.as_str()),
        );
        let block = pane(title, true, theme, ascii);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height <= INFO_ROWS || inner.width < 10 {
            return;
        }
        let chart = Rect {
            height: inner.height - INFO_ROWS,
            ..inner
        };
        let info = Rect {
            y: chart.y + chart.height,
            height: INFO_ROWS,
            ..inner
        };
        let Some(centre) = centre(app, call) else {
            let text = if gazetteer.is_none() {
                "Nothing to centre on: no call is placed and no address list is loaded \
                 (switchboard gazetteer import FILE)."
            } else {
                "Nothing to centre on: no call is placed."
            };
            // Wrapped, never cut: it says what to do.
            let rows: Vec<Line> = super::wrap(text, usize::from(chart.width))
                .into_iter()
                .map(|r| Line::styled(r, theme.notice))
                .collect();
            Paragraph::new(rows).render(chart, buf);
            return;
        };
        let mut raster = Raster::new(chart.width, chart.height);
        // A pan moves a tenth of the pane, rounded to whole cells (2 dots wide, 4 tall): the
        // picture after it is the old one shifted by whole cells and a new strip, which the
        // lean backend moves on the terminal instead of redrawing every cell.
        let step = |cells: u16| i32::from(((cells + 5) / 10).max(1));
        let projection = raster.projection(centre, metres).panned(
            map.pan.0 * step(chart.width) * 2,
            map.pan.1 * step(chart.height) * 4,
        );
        let mut chart_cells = Cells {
            buf,
            area: chart,
            taken: vec![false; usize::from(chart.width) * usize::from(chart.height)],
        };
        if let Some(g) = gazetteer {
            draw_addresses(g, &projection, &mut raster);
            for row in 0..chart.height {
                for column in 0..chart.width {
                    let glyph = if ascii {
                        raster.ascii(column, row)
                    } else {
                        raster.braille(column, row)
                    };
                    if let Some(c) = glyph {
                        chart_cells.put(column, row, &c.to_string(), theme.details_chronology);
                    }
                }
            }
        }
        let state = app.state();
        for other in state.queue() {
            if call.is_some_and(|c| c.id == other.id) {
                continue;
            }
            if let Some(dot) = other.coords.as_ref().and_then(|p| projection.dot(p)) {
                let (column, row) = Raster::cell(dot);
                chart_cells.mark(column, row, "*", theme.priority(other.priority));
            }
        }
        for unit in state.units.values() {
            if unit.status == UnitStatus::OutOfService {
                continue;
            }
            if let Some(dot) = unit.position.as_ref().and_then(|p| projection.dot(p)) {
                let (column, row) = Raster::cell(dot);
                let style = theme.unit_status(unit.status);
                chart_cells.mark(column, row, "#", style);
                chart_cells.label(column + 1, row, unit.callsign.as_str(), style);
            }
        }
        if let Some(c) = call {
            if let Some(Placement::Ambiguous { choices }) = &c.placement {
                for (n, choice) in choices.iter().enumerate() {
                    if let Some(dot) = projection.dot(&choice.coords) {
                        let (column, row) = Raster::cell(dot);
                        let letter = crate::domain::placement::choice_letter(n).to_string();
                        chart_cells.mark(column, row, &letter, theme.details_alert);
                    }
                }
            }
            if let Some(dot) = c.coords.as_ref().and_then(|p| projection.dot(p)) {
                let (column, row) = Raster::cell(dot);
                chart_cells.mark(column, row, "@", theme.details_alert);
            }
        }
        // Street names last, where they hide no mark and no other name.
        if let (Some(g), Some(at)) = (gazetteer, call.and_then(|c| c.coords.as_ref())) {
            for (name, point) in nearest_streets(g, &projection, at, STREET_LABELS) {
                if let Some(dot) = projection.dot(&point) {
                    let (column, row) = Raster::cell(dot);
                    chart_cells.label(column + 1, row, &name, theme.details_label);
                }
            }
        }
        let width = info.width as usize;
        Paragraph::new(info_lines(app, call, self.now_ms, width, &projection)).render(info, buf);
    }
}

/// The selected call's place; else, for an ambiguous call, its first choice; else any placed
/// open call; else the first address of the list.
fn centre(app: &App, call: Option<&Call>) -> Option<Coords> {
    if let Some(c) = call {
        if let Some(at) = &c.coords {
            return Some(at.clone());
        }
        if let Some(Placement::Ambiguous { choices }) = &c.placement {
            return choices.first().map(|ch| ch.coords.clone());
        }
    }
    app.state()
        .queue()
        .iter()
        .find_map(|c| c.coords.clone())
        .or_else(|| {
            app.desk
                .gazetteer()
                .and_then(|g| g.addresses().first())
                .map(|a| a.coords.clone())
        })
}

fn info_lines<'a>(
    app: &'a App,
    call: Option<&Call>,
    now_ms: i64,
    width: usize,
    projection: &Projection,
) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let ascii = app.options.ascii;
    let across = projection.across_m();
    let scale = if across >= 2_000.0 {
        format!("{:.1} km across", across / 1000.0)
    } else {
        format!("{across:.0} m across")
    };
    let Some(c) = call else {
        return vec![Line::styled(
            trim(
                &format!("@ no call selected  * open calls  # units  {scale}"),
                width,
                ascii,
            ),
            theme.details_label,
        )];
    };
    let placed = c
        .placement
        .as_ref()
        .map_or_else(|| "no address list".to_owned(), |p| p.word().to_owned());
    let first = format!(
        "@ {} {} [{placed}]  * calls  # units  {scale}",
        c.id, c.location
    );
    let protocol = &app.desk.policy().protocol;
    let response = c.response_type().unwrap_or_else(|| {
        crate::domain::recommend::recommendation(app.state(), c, protocol).response
    });
    let plan = response_plan(app.state(), c, response, now_ms);
    let mut candidates: Vec<&Ranked> = Vec::new();
    for slot in &plan.slots {
        let sent = match &slot.fill {
            Fill::Send(r) => Some(r),
            _ => None,
        };
        for r in sent.into_iter().chain(&slot.others) {
            if !candidates.iter().any(|c| c.unit == r.unit) {
                candidates.push(r);
            }
        }
    }
    let mut known: Vec<(f64, String)> = candidates
        .iter()
        .filter_map(|r| match r.distance {
            Distance::Km(km) => Some((km, r.unit.as_str().to_owned())),
            _ => None,
        })
        .collect();
    known.sort_by(|a, b| a.0.total_cmp(&b.0));
    let near: Vec<String> = known
        .into_iter()
        .take(4)
        .map(|(km, unit)| format!("{unit} {km:.1} km"))
        .collect();
    let second = if c.coords.is_none() {
        "Nearest free: distances unknown, the call is not placed".to_owned()
    } else if near.is_empty() {
        "Nearest free: no free unit has a known position".to_owned()
    } else {
        format!("Nearest free: {}", near.join(", "))
    };
    vec![
        Line::from(Span::styled(
            trim(&first, width, ascii),
            theme.details_value,
        )),
        Line::from(Span::styled(
            trim(&second, width, ascii),
            theme.details_value,
        )),
    ]
}

/// The chart's cells, addressed from its top left, with the cells a mark or a name holds.
struct Cells<'b> {
    buf: &'b mut Buffer,
    area: Rect,
    taken: Vec<bool>,
}

impl Cells<'_> {
    fn index(&self, column: u16, row: u16) -> Option<usize> {
        (column < self.area.width && row < self.area.height)
            .then(|| usize::from(row) * usize::from(self.area.width) + usize::from(column))
    }

    fn put(&mut self, column: u16, row: u16, symbol: &str, style: Style) {
        if self.index(column, row).is_some() {
            if let Some(cell) = self.buf.cell_mut((self.area.x + column, self.area.y + row)) {
                cell.set_symbol(symbol).set_style(style);
            }
        }
    }

    /// A mark (the call, a unit, a choice): drawn over points and kept clear of names.
    fn mark(&mut self, column: u16, row: u16, symbol: &str, style: Style) {
        if let Some(i) = self.index(column, row) {
            self.taken[i] = true;
            self.put(column, row, symbol, style);
        }
    }

    /// A name from `column` on, or on the row above or below when that one is clear; left out
    /// when no row has room, so no name hides a mark or another name.
    fn label(&mut self, column: u16, row: u16, text: &str, style: Style) {
        let length = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
        let fits = |cells: &Self, row: u16| {
            column.saturating_add(length) <= cells.area.width
                && (column..column + length)
                    .all(|c| cells.index(c, row).is_some_and(|i| !cells.taken[i]))
        };
        let rows = [Some(row), row.checked_sub(1), row.checked_add(1)];
        let Some(row) = rows.into_iter().flatten().find(|&r| fits(self, r)) else {
            return;
        };
        for (k, c) in text.chars().enumerate() {
            let column = column + u16::try_from(k).unwrap_or(0);
            if let Some(i) = self.index(column, row) {
                self.taken[i] = true;
            }
            self.put(column, row, &c.to_string(), style);
        }
    }
}
