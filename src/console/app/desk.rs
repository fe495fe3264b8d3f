//! What the serving desk sends an attached console: events, and where its peer links stand.

use crate::desk::attach::{Board, Reply, Watch};
use crate::domain::CallId;

use super::App;

impl App {
    /// Follows a serving desk: its events and peer board arrive through `watch`.
    #[must_use]
    pub fn attached(mut self, watch: Watch) -> App {
        self.board = Some(Board::default());
        self.watch = Some(watch);
        self
    }

    /// Something the serving desk sent: events another console or a peer committed, or the
    /// state of the peer links.
    pub fn desk_news(&mut self, news: Reply) {
        self.hear_desk(news);
        self.keep_message();
    }

    pub(super) fn hear_desk(&mut self, news: Reply) {
        match news {
            Reply::Events(batch) => match self.desk.absorb(&batch) {
                Ok(received) => {
                    if !received.accepted.is_empty() {
                        self.chronology = None;
                    }
                    self.follow_figures(&received.accepted);
                }
                Err(e) => self.refuse(format!("the serving desk sent {e}")),
            },
            Reply::Keys(keys) => {
                if let Err(e) = self.desk.take_keys(&keys) {
                    self.refuse(format!("the serving desk sent keys that {e}"));
                }
            }
            Reply::Board(board) => self.board = Some(board),
            Reply::Known(entries) => {
                self.desk
                    .know(&crate::desk::attach::known_entries(&entries));
                self.chronology = None;
            }
            _ => {}
        }
    }

    /// The other operators at consoles attached to the same serving desk, in the order they
    /// came (this console's own name left out once).
    pub fn others_here(&self) -> Vec<String> {
        let Some(board) = &self.board else {
            return Vec::new();
        };
        let mut others = board.operators.clone();
        if let Some(me) = others.iter().position(|o| o == self.desk.operator()) {
            others.remove(me);
        }
        others
    }

    /// Who is at this desk, in a line short enough for 80 columns: `at this desk: ana (you),
    /// bo, cy · signed on: ana since 07:00`. A console alone on its desk says how to share it.
    pub(super) fn who_in_words(&self) -> String {
        use crate::store::StoreKind;
        let me = self.desk.operator();
        let others = self.others_here();
        let mut parts = vec![if self.board.is_none() {
            match self.desk.kind() {
                StoreKind::Live => {
                    format!("{me} alone on this desk; to share it: switchboard serve, or --listen")
                }
                // The demo's centre runs in its console; a served demo store has none.
                StoreKind::Demo => format!(
                    "{me} alone on this demo; to share one: switchboard serve on its data dir"
                ),
                StoreKind::Training => format!("{me} alone: a training run has one console"),
            }
        } else if others.is_empty() {
            format!("{me} alone at this desk")
        } else {
            format!("at this desk: {me} (you), {}", others.join(", "))
        }];
        let on: Vec<String> = self
            .state()
            .on_desk
            .iter()
            .map(|(who, since)| {
                format!(
                    "{who} since {}",
                    crate::console::text::hhmm(self.options.utc, *since)
                )
            })
            .collect();
        if !on.is_empty() {
            parts.push(format!("signed on: {}", on.join(", ")));
        }
        parts.join(" · ")
    }

    /// With peers: whether some peer has saved this call's last change. `None` without peers.
    pub fn saved_on_a_peer(&self, call: &CallId) -> Option<bool> {
        let board = self.board.as_ref().filter(|b| !b.peers.is_empty())?;
        let (origin, seq) = self.desk.last_event_of(call)?;
        Some(board.saved_on_a_peer(origin, seq))
    }

    /// The peer board in a line: `bravo connected, 0 behind · refused 10.0.0.9:4410 at 14:02:
    /// unknown peer certificate SHA-256 …`.
    pub(super) fn peers_in_words(&self) -> String {
        use crate::desk::attach::LinkState;
        let Some(board) = &self.board else {
            return "no peer links: start the console with --listen, or run switchboard serve"
                .into();
        };
        let mut parts: Vec<String> = board
            .peers
            .iter()
            .map(|p| {
                let since = crate::console::text::hhmm(self.options.utc, p.since_ms);
                match p.state {
                    LinkState::Connected => format!("{} connected, {} behind", p.name, p.lag),
                    LinkState::CatchingUp => format!("{} catching up, {} behind", p.name, p.lag),
                    LinkState::Down => match &p.why {
                        Some(why) => format!("{} down since {since}: {why}", p.name),
                        None => format!("{} down since {since}", p.name),
                    },
                }
            })
            .collect();
        if parts.is_empty() {
            parts.push("no peers (switchboard peer add)".into());
        }
        if let Some(r) = board.refused.last() {
            parts.push(format!(
                "refused {} at {}: {}",
                r.who,
                crate::console::text::hhmm(self.options.utc, r.at_ms),
                r.why
            ));
        }
        parts.extend(board.forks.iter().map(|f| format!("FORK {f}")));
        let others = self.others_here();
        parts.push(if others.is_empty() {
            "nobody else at this desk".to_owned()
        } else {
            format!("also at this desk: {}", others.join(", "))
        });
        parts.join(" · ")
    }

    /// The serving desk has stopped: nothing typed can be committed until it is back.
    pub fn desk_gone(&mut self) {
        self.refuse(
            "the serving desk has stopped; nothing can be saved — quit and start again".into(),
        );
        self.keep_message();
    }
}
