//! The terminal side: raw mode and the alternate screen, the inbox loop, signals, suspend, and
//! restoring the terminal on every way out.

use std::io::{self, Stdout};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyEventKind};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use super::app::App;
use super::lean::LeanBackend;
use super::view::screen;
use crate::desk::attach::Reply;

type Term = Terminal<LeanBackend<Stdout>>;

/// Everything the loop reacts to arrives here.
enum Inbox {
    Terminal(TermEvent),
    InputClosed,
    /// From the serving desk an attached console follows.
    Desk(Reply),
    DeskGone,
}

/// Puts the terminal back however the console ends: quit, error, panic (via the hook).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        crossterm::style::SetAttribute(crossterm::style::Attribute::Reset),
        LeaveAlternateScreen,
        cursor::Show
    );
}

fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen)
}

/// Runs the console until `quit`, SIGTERM or SIGHUP. Every change was committed (fsynced) when
/// it was shown, so no way out loses anything acknowledged.
pub fn run(app: App) -> io::Result<App> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(app))
}

async fn serve(mut app: App) -> io::Result<App> {
    enter()?;
    let _restore = Restore;
    let mut terminal = Terminal::new(LeanBackend::new(io::stdout()))?;
    repaint(&mut terminal)?;

    let (tx, mut inbox) = mpsc::unbounded_channel();
    let input = tx.clone();
    // crossterm's reader blocks; it gets its own thread and feeds the inbox.
    std::thread::spawn(move || {
        let tx = input;
        while let Ok(event) = crossterm::event::read() {
            if tx.send(Inbox::Terminal(event)).is_err() {
                return;
            }
        }
        let _ = tx.send(Inbox::InputClosed);
    });
    if let Some(mut watch) = app.watch.take() {
        let tx = tx.clone();
        // Reading the watch blocks too: a thread of its own.
        std::thread::spawn(move || {
            while let Ok(news) = watch.recv() {
                if tx.send(Inbox::Desk(news)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Inbox::DeskGone);
        });
    }
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    // What the terminal shows now; a tick that would change nothing writes nothing (not even
    // the style resets ratatui ends every frame with), so an idle console is silent.
    let mut shown: Option<Buffer> = None;
    let mut ticked = false;
    // A world's clock (a training run's, the demo's) moves by the real time between turns of
    // the loop.
    let mut last = std::time::Instant::now();
    loop {
        pass_time(&mut app, &mut last);
        app.refresh_chronology();
        let now = app.now_ms();
        app.listen(now);
        if !(ticked && unchanged(&app, &terminal, shown.as_ref())) {
            // A dropped SSH link makes writes fail; that ends the loop like a hangup.
            match terminal.draw(|frame| screen::draw(frame, &app)) {
                Ok(frame) => shown = Some(frame.buffer.clone()),
                Err(_) => break,
            }
        }
        if std::mem::take(&mut app.ui.bell) {
            ring()?;
        }
        ticked = false;
        tokio::select! {
            message = inbox.recv() => {
                let Some(message) = message else { break };
                // The key acts at the world's present, not at the last tick's.
                pass_time(&mut app, &mut last);
                if !handle(&mut app, message) {
                    break;
                }
                // Take everything already typed before drawing again (fast typists, pastes).
                while let Ok(more) = inbox.try_recv() {
                    if !handle(&mut app, more) {
                        break;
                    }
                }
            }
            _ = tick.tick() => ticked = true,
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
        }
        if app.ui.quit {
            break;
        }
        if app.ui.suspend {
            app.ui.suspend = false;
            suspend(&mut terminal)?;
            shown = None;
        }
        if app.ui.repaint {
            app.ui.repaint = false;
            repaint(&mut terminal)?;
            shown = None;
        }
    }
    Ok(app)
}

/// Gives the app the whole milliseconds since `last`; the fraction left over counts next time,
/// so a world on the real clock does not fall behind it over a long shift.
fn pass_time(app: &mut App, last: &mut std::time::Instant) {
    let ms = last.elapsed().as_millis() as u64;
    app.pass_time(ms);
    *last += Duration::from_millis(ms);
}

/// The terminal's bell (BEL): one byte, heard over SSH too, and a terminal set to flash shows it.
fn ring() -> io::Result<()> {
    use std::io::Write as _;
    let mut out = io::stdout();
    out.write_all(b"\x07")?;
    out.flush()
}

/// Whether drawing now would show exactly what is on screen.
fn unchanged(app: &App, terminal: &Term, shown: Option<&Buffer>) -> bool {
    let (Some(shown), Ok(size)) = (shown, terminal.size()) else {
        return false;
    };
    let area = Rect::new(0, 0, size.width, size.height);
    if shown.area != area {
        return false;
    }
    let mut next = Buffer::empty(area);
    screen::render(app, area, &mut next);
    &next == shown
}

/// Feeds one message to the app; false when input is gone.
fn handle(app: &mut App, message: Inbox) -> bool {
    match message {
        Inbox::Terminal(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => app.key(key),
        Inbox::Terminal(_) => {}
        Inbox::InputClosed => return false,
        Inbox::Desk(news) => app.desk_news(news),
        Inbox::DeskGone => app.desk_gone(),
    }
    !app.ui.quit
}

/// Ctrl-Z: give the terminal back, stop, and take it again when resumed.
fn suspend(terminal: &mut Term) -> io::Result<()> {
    restore();
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    enter()?;
    terminal.backend_mut().forget();
    repaint(terminal)
}

/// Clears the screen and forgets what was drawn, so the next frame is drawn whole.
/// (`Terminal::clear` asks the terminal where its cursor is, and that answer would be eaten by
/// the input thread; a resize to the current size clears without asking.)
fn repaint(terminal: &mut Term) -> io::Result<()> {
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}
