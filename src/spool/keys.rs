//! Object keys from a template: `logs/{device}/{date}/{seq}.log`.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use crate::error::{Argument, Error};

/// The placeholders every template may use, besides the application's own variables.
const BUILT_IN: &[&str] = &["seq", "date", "time", "year", "month", "day", "hour", "minute", "unix"];

/// A key template, checked when the spool opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyTemplate {
    parts: Vec<Part>,
    vars: BTreeMap<String, String>,
}

/// A piece of a template: text as it is, or a `{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Placeholder(String),
}

/// `key` as a template that renders to exactly `key` (`{` and `}` doubled).
pub(crate) fn escape(key: &str) -> String {
    key.replace('{', "{{").replace('}', "}}")
}

impl KeyTemplate {
    /// Checks that every `{name}` is known (built in, `{seq:N}` for a width, or one of `vars`) and
    /// that the first key it makes is a valid key. `{{` and `}}` are a brace.
    pub(crate) fn new(text: &str, vars: &BTreeMap<String, String>) -> Result<Self, Error> {
        let template = Self { parts: parse(text)?, vars: vars.clone() };
        for part in &template.parts {
            let Part::Placeholder(name) = part else { continue };
            let base = name.split_once(':').map_or(name.as_str(), |(base, _)| base);
            let known = BUILT_IN.contains(&base) || template.vars.contains_key(base);
            if !known || (name.contains(':') && !is_seq_width(name)) {
                return Err(Error::invalid(
                    Argument::Spool,
                    format!(
                        "the key template {text:?} has {{{name}}}, which is not one of {{seq}}, {{seq:WIDTH}}, {{date}}, {{time}}, {{year}}, {{month}}, {{day}}, {{hour}}, {{minute}}, {{unix}} or a variable given (a brace in a key is written {{{{ or }}}})"
                    ),
                ));
            }
        }
        crate::validate::key(&template.render(0, OffsetDateTime::UNIX_EPOCH))?;
        Ok(template)
    }

    /// The key of object number `seq`, started at `at`. A template without `{seq}` gives its text
    /// for the first object and adds `.<seq>` for the next ones.
    pub(crate) fn render(&self, seq: u64, at: OffsetDateTime) -> String {
        let mut out = String::new();
        let mut had_seq = false;
        for part in &self.parts {
            let name = match part {
                Part::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                Part::Placeholder(name) => name.as_str(),
            };
            let value = match name {
                "seq" => {
                    had_seq = true;
                    seq.to_string()
                }
                _ if is_seq_width(name) => {
                    had_seq = true;
                    let width: usize = name[4..].parse().unwrap_or(0);
                    format!("{seq:0width$}")
                }
                "date" => format!("{:04}-{:02}-{:02}", at.year(), at.month() as u8, at.day()),
                "time" => format!("{:02}{:02}{:02}", at.hour(), at.minute(), at.second()),
                "year" => format!("{:04}", at.year()),
                "month" => format!("{:02}", at.month() as u8),
                "day" => format!("{:02}", at.day()),
                "hour" => format!("{:02}", at.hour()),
                "minute" => format!("{:02}", at.minute()),
                "unix" => at.unix_timestamp().to_string(),
                var => self.vars.get(var).cloned().unwrap_or_default(),
            };
            out.push_str(&value);
        }
        if !had_seq && seq > 0 {
            out.push_str(&format!(".{seq}"));
        }
        out
    }
}

fn is_seq_width(name: &str) -> bool {
    name.strip_prefix("seq:").is_some_and(|w| !w.is_empty() && w.len() <= 2 && w.bytes().all(|b| b.is_ascii_digit()))
}

/// The text and `{name}`s of `text`; `{{` and `}}` are a brace.
fn parse(text: &str) -> Result<Vec<Part>, Error> {
    let refuse = |what: &str| Error::invalid(Argument::Spool, format!("the key template {text:?} has {what}"));
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => return Err(refuse("a '{' without '}'")),
                        Some(c) => name.push(c),
                    }
                }
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Placeholder(name));
            }
            '}' => return Err(refuse("a '}' without '{'")),
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn renders_every_placeholder() {
        let vars = BTreeMap::from([("device".to_string(), "cam-7".to_string())]);
        let template = KeyTemplate::new("logs/{device}/{date}/{hour}/{seq:6}-{time}.log", &vars).unwrap();
        let at = datetime!(2026-11-29 08:05:09 UTC);
        assert_eq!(template.render(42, at), "logs/cam-7/2026-11-29/08/000042-080509.log");
        let plain = KeyTemplate::new("app.log", &BTreeMap::new()).unwrap();
        assert_eq!(plain.render(0, at), "app.log");
        assert_eq!(plain.render(3, at), "app.log.3");
        assert_eq!(
            KeyTemplate::new("{year}{month}{day}-{minute}-{unix}-{seq}", &BTreeMap::new()).unwrap().render(1, at),
            "20261129-05-1795939509-1"
        );
    }

    #[test]
    fn refuses_unknown_placeholders_and_bad_keys() {
        for bad in [
            "logs/{nope}.log",
            "logs/{seq:abc}",
            "a{b",
            "a}b",
            "a{{b}",
            "a{b{c}}",
            "/starts-with-slash/{seq}",
            "{date:x}",
        ] {
            let err = KeyTemplate::new(bad, &BTreeMap::new()).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn doubled_braces_are_braces_and_an_escaped_key_renders_as_itself() {
        let at = datetime!(2026-11-29 08:05:09 UTC);
        let template = KeyTemplate::new("a{{b}}/{seq}-}}{{", &BTreeMap::new()).unwrap();
        assert_eq!(template.render(7, at), "a{b}/7-}{");
        for key in ["logs/{device}/app.log", "}{", "{{seq}}", "plain.log", "{seq}"] {
            let template = KeyTemplate::new(&escape(key), &BTreeMap::new()).unwrap();
            assert_eq!(template.render(0, at), key);
            assert_eq!(template.render(2, at), format!("{key}.2"), "a rollover adds .2");
        }
    }
}
