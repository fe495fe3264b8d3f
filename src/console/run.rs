//! The terminal side: raw mode and the alternate screen, the inbox loop, signals, suspend, and
//! restoring the terminal on every way out.

use std::io::{self, Stdout};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyEventKind};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::Terminal;

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
    /// SIGTERM or SIGHUP.
    Signal,
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

/// How often the console looks at the clock when nothing happens: the ages and timers on screen
/// move by the second, and a tick that changes no cell writes nothing.
const TICK: Duration = Duration::from_secs(1);

/// Runs the console until `quit`, SIGTERM or SIGHUP. Every change was committed (fsynced) when
/// it was shown, so no way out loses anything acknowledged.
///
/// Idle, the console wakes once a second, for the tick, and for nothing else (issue 13): the
/// loop sleeps in one `recv_timeout` until the next tick is due (an exact futex deadline; a
/// tokio timer this long fires up to 64 ms early and waits again, two wakeups a tick), and the
/// terminal, the desk's watch and the signals each have a thread blocked in a read with no
/// timeout.
pub fn run(app: App) -> io::Result<App> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    serve(app)
}

fn serve(mut app: App) -> io::Result<App> {
    enter()?;
    let _restore = Restore;
    let mut terminal = Terminal::new(LeanBackend::new(io::stdout()))?;
    repaint(&mut terminal)?;

    let (tx, inbox) = mpsc::channel();
    let input = tx.clone();
    // crossterm's reader blocks; it gets its own thread and feeds the inbox.
    std::thread::Builder::new()
        .name("console-input".into())
        .spawn(move || {
            let tx = input;
            while let Ok(event) = crossterm::event::read() {
                if tx.send(Inbox::Terminal(event)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Inbox::InputClosed);
        })?;
    if let Some(mut watch) = app.watch.take() {
        let tx = tx.clone();
        // Reading the watch blocks too: a thread of its own.
        std::thread::Builder::new()
            .name("console-watch".into())
            .spawn(move || {
                while let Ok(news) = watch.recv() {
                    if tx.send(Inbox::Desk(news)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Inbox::DeskGone);
            })?;
    }
    let _signals = Signals::forward(tx.clone())?;

    // What the terminal shows now; a tick that would change nothing writes nothing (not even
    // the style resets ratatui ends every frame with), so an idle console is silent.
    let mut shown: Option<Buffer> = None;
    let mut ticked = false;
    // A world's clock (a training run's, the demo's) moves by the real time between turns of
    // the loop.
    let mut last = Instant::now();
    let mut next_tick = last + TICK;
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
        match inbox.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
            Ok(message) => {
                // The key acts at the world's present, not at the last tick's.
                pass_time(&mut app, &mut last);
                let mut go_on = handle(&mut app, message);
                // Take everything already typed before drawing again (fast typists, pastes).
                while go_on {
                    let Ok(more) = inbox.try_recv() else { break };
                    go_on = handle(&mut app, more);
                }
                if !go_on {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                ticked = true;
                // A tick missed (the machine slept, a frame took long) is skipped, not
                // caught up: the next one is a whole period after the last one due.
                let now = Instant::now();
                while next_tick <= now {
                    next_tick += TICK;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
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

/// SIGTERM and SIGHUP, as one message in the inbox: a thread blocked reading the pipe the
/// handlers write to. The handlers are removed when this is dropped.
struct Signals {
    ids: Vec<signal_hook::SigId>,
}

impl Signals {
    fn forward(tx: mpsc::Sender<Inbox>) -> io::Result<Signals> {
        use signal_hook::consts::{SIGHUP, SIGTERM};
        use std::io::Read as _;
        let (mut read, write) = std::os::unix::net::UnixStream::pair()?;
        let mut ids = Vec::new();
        for signal in [SIGTERM, SIGHUP] {
            ids.push(signal_hook::low_level::pipe::register(
                signal,
                write.try_clone()?,
            )?);
        }
        std::thread::Builder::new()
            .name("console-signals".into())
            .spawn(move || {
                let mut byte = [0u8];
                if read.read(&mut byte).is_ok_and(|n| n > 0) {
                    let _ = tx.send(Inbox::Signal);
                }
            })?;
        Ok(Signals { ids })
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Gives the app the whole milliseconds since `last`; the fraction left over counts next time,
/// so a world on the real clock does not fall behind it over a long shift.
fn pass_time(app: &mut App, last: &mut Instant) {
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

/// Feeds one message to the app; false when the console is to end (quit, input gone, a signal).
fn handle(app: &mut App, message: Inbox) -> bool {
    match message {
        Inbox::Terminal(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => app.key(key),
        Inbox::Terminal(_) => {}
        Inbox::InputClosed | Inbox::Signal => return false,
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
