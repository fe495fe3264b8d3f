//! `when` conditions: flags about the console's state joined with `!`, `&&`, `||` and brackets.

use crate::spelling::nearest;
use std::fmt;
use std::str::FromStr;

/// A fact about the console's state that a `when` condition can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flag {
    CallSelected,
    UnitSelected,
    CallClosed,
    CallPending,
    LineEmpty,
    Training,
}

impl Flag {
    pub const ALL: [Flag; 6] = [
        Flag::CallSelected,
        Flag::UnitSelected,
        Flag::CallClosed,
        Flag::CallPending,
        Flag::LineEmpty,
        Flag::Training,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Flag::CallSelected => "call-selected",
            Flag::UnitSelected => "unit-selected",
            Flag::CallClosed => "call-closed",
            Flag::CallPending => "call-pending",
            Flag::LineEmpty => "line-empty",
            Flag::Training => "training",
        }
    }

    pub fn doc(self) -> &'static str {
        match self {
            Flag::CallSelected => "a call is selected in the queue",
            Flag::UnitSelected => "a unit is selected in the roster",
            Flag::CallClosed => "the selected call is closed",
            Flag::CallPending => "the selected call waits for a unit",
            Flag::LineEmpty => "the command line is empty",
            Flag::Training => "this is a training desk",
        }
    }

    pub fn from_word(word: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.word() == word)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A binding's `when`: flags with `!`, `&&`, `||` and parentheses; `&&` binds tighter than
/// `||`, both group to the left.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    Flag(Flag),
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

/// Long enough for any sensible condition; bounds the parser's (and `Drop`'s) recursion on a
/// hostile file.
const MAX_CONDITION_TOKENS: usize = 64;

impl Condition {
    pub fn parse(s: &str) -> Result<Condition, String> {
        let tokens = condition_tokens(s)?;
        if tokens.is_empty() {
            return Err("empty condition".into());
        }
        if tokens.len() > MAX_CONDITION_TOKENS {
            return Err(format!(
                "the condition is too long (over {MAX_CONDITION_TOKENS} flags and operators)"
            ));
        }
        let mut parser = ConditionParser { tokens, at: 0 };
        let condition = parser.or()?;
        match parser.tokens.get(parser.at) {
            None => Ok(condition),
            Some(Token::Close) => Err("a ) has no matching (".into()),
            Some(t) => Err(format!("expected && or || before {t}")),
        }
    }

    /// `flags` answers for one flag by its word (`call-selected`).
    pub fn eval(&self, flags: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Condition::Flag(flag) => flags(flag.word()),
            Condition::Not(c) => !c.eval(flags),
            Condition::And(a, b) => a.eval(flags) && b.eval(flags),
            Condition::Or(a, b) => a.eval(flags) || b.eval(flags),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn grouped(f: &mut fmt::Formatter<'_>, c: &Condition, parens: bool) -> fmt::Result {
            if parens {
                write!(f, "({c})")
            } else {
                write!(f, "{c}")
            }
        }
        match self {
            Condition::Flag(flag) => write!(f, "{flag}"),
            Condition::Not(c) => {
                f.write_str("!")?;
                grouped(f, c, matches!(**c, Condition::And(..) | Condition::Or(..)))
            }
            Condition::And(a, b) => {
                grouped(f, a, matches!(**a, Condition::Or(..)))?;
                f.write_str(" && ")?;
                grouped(f, b, matches!(**b, Condition::And(..) | Condition::Or(..)))
            }
            Condition::Or(a, b) => {
                grouped(f, a, false)?;
                f.write_str(" || ")?;
                grouped(f, b, matches!(**b, Condition::Or(..)))
            }
        }
    }
}

impl FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Condition, String> {
        Condition::parse(s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Flag(Flag),
    Not,
    And,
    Or,
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Flag(flag) => write!(f, "{flag}"),
            Token::Not => f.write_str("!"),
            Token::And => f.write_str("&&"),
            Token::Or => f.write_str("||"),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
        }
    }
}

fn condition_tokens(s: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '!' => tokens.push(Token::Not),
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '&' | '|' => {
                if chars.next_if(|&(_, next)| next == c).is_none() {
                    return Err(format!("write {c}{c}, not a single {c}"));
                }
                tokens.push(if c == '&' { Token::And } else { Token::Or });
            }
            c if c.is_alphanumeric() || c == '-' || c == '_' => {
                let mut end = at + c.len_utf8();
                while let Some((i, n)) =
                    chars.next_if(|&(_, n)| n.is_alphanumeric() || n == '-' || n == '_')
                {
                    end = i + n.len_utf8();
                }
                let word = &s[at..end];
                let flag = Flag::from_word(word).ok_or_else(|| {
                    let words = Flag::ALL.map(Flag::word);
                    match nearest(word, words) {
                        Some(near) => format!("unknown flag '{word}' (did you mean {near}?)"),
                        None => format!("unknown flag '{word}'; flags are {}", words.join(", ")),
                    }
                })?;
                tokens.push(Token::Flag(flag));
            }
            other => return Err(format!("unexpected '{other}'")),
        }
    }
    Ok(tokens)
}

struct ConditionParser {
    tokens: Vec<Token>,
    at: usize,
}

impl ConditionParser {
    fn next_if(&mut self, token: &Token) -> bool {
        let hit = self.tokens.get(self.at) == Some(token);
        self.at += usize::from(hit);
        hit
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut left = self.and()?;
        while self.next_if(&Token::Or) {
            let right = self.operand("||", Self::and)?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut left = self.unary()?;
        while self.next_if(&Token::And) {
            let right = self.operand("&&", Self::unary)?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn operand(
        &mut self,
        after: &str,
        read: fn(&mut Self) -> Result<Condition, String>,
    ) -> Result<Condition, String> {
        if self.tokens.get(self.at).is_none() {
            return Err(format!("expected a flag after {after}"));
        }
        read(self)
    }

    fn unary(&mut self) -> Result<Condition, String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Flag(flag)) => Ok(Condition::Flag(flag)),
            Some(Token::Not) => match self.tokens.get(self.at) {
                None => Err("expected a flag after !".into()),
                Some(_) => self.unary().map(|c| Condition::Not(Box::new(c))),
            },
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.next_if(&Token::Close) {
                    Ok(inner)
                } else {
                    Err("a ( is not closed; add the closing )".into())
                }
            }
            Some(t) => Err(format!("expected a flag, found {t}")),
            None => Err("expected a flag".into()),
        }
    }
}
