//! File names: which names are never indexed (download safety), what a clip's name says
//! about it (shot code, origin, take number, Luma web-download slug and time), and the
//! prompt keys takes are grouped by.
//!
//! Pure string work: nothing here opens a file or reads the catalog. Names arrive as
//! `OsStr` where they come straight from the file system (they may not be UTF-8) and as
//! `&str` once the caller has decided how to show them.

use crate::domain::Origin;
use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::path::{Component, Path};
use time::macros::format_description;
use time::PrimitiveDateTime;

/// Suffixes of files a browser is still writing (Chrome/Edge `.crdownload`, Firefox
/// `.part`, Safari `.download` packages, generic `.partial` and `.tmp`).
const TEMP_SUFFIXES: &[&str] = &[".crdownload", ".part", ".partial", ".download", ".tmp"];

/// Extensions of the containers Takeboard indexes.
const VIDEO_EXTENSIONS: &[&str] = &["mp4", "mov", "m4v"];

/// Trailing words of a Luma web-download name that are not part of the prompt slug.
const LUMA_SLUG_SUFFIXES: &[&str] = &["_watermarked", "_last_frame"];

/// Words that introduce a take number (`take3`, `tk3`, `t03`, `v2`); longest first.
const TAKE_PREFIXES: &[&str] = &["take", "tk", "t", "v"];

/// How many words of a prompt name a shot, and the most characters that name may have
/// (prompts in scripts without spaces are one long "word").
const SHOT_NAME_WORDS: usize = 5;
const SHOT_NAME_MAX_CHARS: usize = 48;

/// True for names that are never indexed: temporary download names (`.crdownload`,
/// `.part`, `.partial`, `.download`, `.tmp`, any case — this includes Chrome's
/// `Unconfirmed 123.crdownload`), hidden and lock files (a leading `.` or `~`, which covers
/// `.~lock*`, `._*` and `.DS_Store`), and the empty name.
pub fn is_ignored_name(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    name.is_empty()
        || name.starts_with('.')
        || name.starts_with('~')
        || TEMP_SUFFIXES
            .iter()
            .any(|suffix| ends_with_ignoring_ascii_case(&name, suffix))
}

/// True when `path` may be a finished video to index under the watched folder `root`: it
/// lies below `root` through plain folder names only (no `..`), neither it nor any folder
/// between `root` and it has an ignored name (so nothing inside a Safari `*.download`
/// package or a hidden folder), and its extension is `mp4`, `mov` or `m4v` in any case.
/// A path outside `root` is not a candidate of that root.
pub fn is_candidate_video(path: &Path, root: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let mut file_name = None;
    for component in relative.components() {
        match component {
            Component::Normal(name) if !is_ignored_name(name) => file_name = Some(name),
            _ => return false,
        }
    }
    file_name.is_some_and(has_video_extension)
}

fn has_video_extension(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .and_then(OsStr::to_str)
        .is_some_and(|ext| VIDEO_EXTENSIONS.iter().any(|v| ext.eq_ignore_ascii_case(v)))
}

fn ends_with_ignoring_ascii_case(text: &str, suffix: &str) -> bool {
    let (text, suffix) = (text.as_bytes(), suffix.as_bytes());
    text.len() >= suffix.len() && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// The project's file-naming convention. Persisted in project settings; a missing field
/// takes the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamingConfig {
    /// A regular expression (`regex-lite` syntax) matched at the start of a file's stem.
    /// The shot code is its first capture group, or the whole match when it has none;
    /// separators around it are trimmed and it is upper-cased. A match that does not start
    /// at the first character is ignored.
    pub shot_code_pattern: String,
}

impl NamingConfig {
    /// The default shot-code pattern: ASCII letters, then 2–4 digits, then an optional
    /// letter, at the start of the name and followed by `_`, `-`, `.`, a space or the end
    /// (`SH010_…`, `sc01-…`, `SH010A_…`).
    pub const DEFAULT_SHOT_CODE_PATTERN: &'static str =
        r"^(?i)([a-z]+[0-9]{2,4}[a-z]?)(?:[-_. ]|$)";

    /// Compiles the convention once. An invalid pattern is reported here, once, rather
    /// than for every file.
    pub fn compile(&self) -> Result<NameParser, NamingError> {
        let shot_code = Regex::new(&self.shot_code_pattern).map_err(|e| {
            NamingError::InvalidShotCodePattern {
                pattern: self.shot_code_pattern.clone(),
                reason: e.to_string(),
            }
        })?;
        Ok(NameParser { shot_code })
    }
}

impl Default for NamingConfig {
    fn default() -> Self {
        NamingConfig {
            shot_code_pattern: Self::DEFAULT_SHOT_CODE_PATTERN.to_owned(),
        }
    }
}

/// A naming convention that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamingError {
    /// The configured shot-code pattern is not a valid regular expression.
    #[error(
        "the shot-code pattern {pattern:?} is not a valid regular expression ({reason}); \
         fix it in the project settings or reset it to the default"
    )]
    InvalidShotCodePattern {
        /// The pattern as configured.
        pattern: String,
        /// What the regular-expression compiler objected to.
        reason: String,
    },
}

/// What a file name says about its clip. Every field is `None` when the name does not say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameInfo {
    /// The leading shot code, upper-cased (`sc01-…` → `SC01`).
    pub shot_code: Option<String>,
    /// From the whole words `flash`, `ray-flash-2` (Flash) or `standard`, `std`, `ray-2`
    /// (Standard); `None` when the name has none or both kinds. Other Luma model names
    /// (`ray-1-6`) say nothing.
    pub origin: Option<Origin>,
    /// From `take3`, `take_3`, `tk3`, `t03`, `v2` (the first one wins), else a trailing
    /// `_03` of at most three digits that follows something else.
    pub take_number: Option<u32>,
    /// The prompt slug of a Luma web download, underscores turned back into spaces.
    pub prompt_slug: Option<String>,
    /// The creation time of a Luma web download, `YYYY-MM-DDTHH:MM:SS` (no zone is known).
    pub luma_created: Option<String>,
}

/// A compiled [`NamingConfig`]: reads file names without failing.
#[derive(Debug, Clone)]
pub struct NameParser {
    shot_code: Regex,
}

impl NameParser {
    /// What `name` (a file name with its extension, not a path) says about its clip.
    ///
    /// Order: the extension and a browser's duplicate counter (` (1)`, `(2)`) are dropped;
    /// a Luma web-download name (`<YYYY-MM-DDTHH-MM-SS>_<prompt-slug>[_watermarked]`) gives
    /// only its slug and time, since every other word in it is prompt text; otherwise the
    /// leading shot code is read, then model words and take numbers among the rest.
    pub fn parse(&self, name: &str) -> NameInfo {
        let stem = without_duplicate_counter(without_extension(name));
        if let Some(info) = luma_web_download(stem) {
            return info;
        }
        let (shot_code, rest) = self.leading_shot_code(stem);
        let words: Vec<&str> = rest
            .split(|c: char| matches!(c, '_' | '-' | '.') || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        let words_read = read_words(&words, shot_code.is_some());
        NameInfo {
            shot_code,
            origin: words_read.origin,
            take_number: words_read.take_number,
            prompt_slug: None,
            luma_created: None,
        }
    }

    /// The shot code at the start of `stem` and what follows it; a code that is really a
    /// take number (`take03`, `v02`) is left to the words.
    fn leading_shot_code<'a>(&self, stem: &'a str) -> (Option<String>, &'a str) {
        let Some((captures, whole)) = self
            .shot_code
            .captures(stem)
            .and_then(|c| c.get(0).map(|whole| (c, whole)))
        else {
            return (None, stem);
        };
        let code = captures
            .get(1)
            .unwrap_or(whole)
            .as_str()
            .trim_matches(|c: char| matches!(c, '_' | '-' | '.') || c.is_whitespace());
        if whole.start() != 0 || code.is_empty() || take_number_word(code).is_some() {
            return (None, stem);
        }
        (Some(code.to_uppercase()), &stem[whole.end()..])
    }
}

/// Reads `name` with `config` in one go. For many names, compile once with
/// [`NamingConfig::compile`] and use [`NameParser::parse`].
pub fn parse_file_name(name: &str, config: &NamingConfig) -> Result<NameInfo, NamingError> {
    Ok(config.compile()?.parse(name))
}

fn without_extension(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

/// Drops a browser's duplicate counter: Chrome's `name (1)`, Firefox's `name(1)`.
fn without_duplicate_counter(stem: &str) -> &str {
    let Some((before, digits)) = stem
        .strip_suffix(')')
        .and_then(|inner| inner.rsplit_once('('))
    else {
        return stem;
    };
    let before = before.strip_suffix(' ').unwrap_or(before);
    if before.is_empty() || parse_number(digits, 4).is_none() {
        stem
    } else {
        before
    }
}

/// `<YYYY-MM-DDTHH-MM-SS>[_<prompt-slug>[_watermarked|_last_frame]]`, with a real date.
fn luma_web_download(stem: &str) -> Option<NameInfo> {
    let stamp = stem.get(..19)?;
    let after = &stem[19..];
    if !(after.is_empty() || after.starts_with('_')) {
        return None;
    }
    let created = PrimitiveDateTime::parse(
        stamp,
        format_description!("[year]-[month]-[day]T[hour]-[minute]-[second]"),
    )
    .ok()?;
    let luma_created = created
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .ok();
    let mut slug = after;
    if let Some(suffix) = LUMA_SLUG_SUFFIXES
        .iter()
        .find(|suffix| ends_with_ignoring_ascii_case(slug, suffix))
    {
        slug = &slug[..slug.len() - suffix.len()];
    }
    let slug = slug.replace('_', " ");
    let slug = slug.trim();
    Some(NameInfo {
        prompt_slug: (!slug.is_empty()).then(|| slug.to_owned()),
        luma_created,
        ..NameInfo::default()
    })
}

struct WordsRead {
    origin: Option<Origin>,
    take_number: Option<u32>,
}

/// Model words and take numbers among the words after the shot code.
fn read_words(words: &[&str], after_shot_code: bool) -> WordsRead {
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let mut origins = Vec::new();
    let mut take_number = None;
    // The trailing bare number, if the last word read was one and something came before.
    let mut trailing_number = None;
    let mut i = 0;
    while i < lower.len() {
        let rest = &lower[i..];
        let first = rest[0].as_str();
        let (origin, take, used) = if let Some((origin, used)) = luma_model_words(rest) {
            (origin, None, used)
        } else if first == "flash" {
            (Some(Origin::Flash), None, 1)
        } else if first == "standard" || first == "std" {
            (Some(Origin::Standard), None, 1)
        } else if let Some(n) = (first == "take")
            .then(|| rest.get(1).and_then(|w| parse_number(w, 4)))
            .flatten()
        {
            (None, Some(n), 2)
        } else {
            (None, take_number_word(first), 1)
        };
        origins.extend(origin);
        if take_number.is_none() {
            take_number = take;
        }
        trailing_number = (used == 1 && origin.is_none() && (i > 0 || after_shot_code))
            .then(|| parse_number(first, 3))
            .flatten();
        i += used;
    }
    let origin = match origins.split_first() {
        Some((first, others)) if others.iter().all(|o| o == first) => Some(*first),
        _ => None,
    };
    WordsRead {
        origin,
        take_number: take_number.or(trailing_number),
    }
}

/// A Luma model name spelled as words at the start of `words`: `ray`, optionally `flash`,
/// then one version number (`ray-2`, `ray-flash-2`, `ray-3`) or the two-part `ray-1-6`.
/// Returns what it says about the origin and how many words it spans, so its digits are
/// never read as a take number (`ray-flash-2_03` is still take 3).
fn luma_model_words(words: &[String]) -> Option<(Option<Origin>, usize)> {
    if words.first()? != "ray" {
        return None;
    }
    let flash = words.get(1).is_some_and(|w| w == "flash");
    let version_at = 1 + usize::from(flash);
    let version = words
        .get(version_at)
        .filter(|w| parse_number(w, 3).is_some())?;
    let ray_1_6 = version == "1" && words.get(version_at + 1).is_some_and(|w| w == "6");
    let origin = match (flash, version.as_str()) {
        (true, "2") => Some(Origin::Flash),
        (false, "2") => Some(Origin::Standard),
        _ => None,
    };
    Some((origin, version_at + 1 + usize::from(ray_1_6)))
}

/// `take3`, `tk3`, `t03`, `v2` (any case) → the number.
fn take_number_word(word: &str) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    TAKE_PREFIXES
        .iter()
        .find_map(|prefix| lower.strip_prefix(prefix))
        .and_then(|digits| parse_number(digits, 4))
}

/// 1 to `max_digits` ASCII digits, nothing else.
fn parse_number(text: &str, max_digits: usize) -> Option<u32> {
    let plain_digits =
        (1..=max_digits).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    plain_digits.then(|| text.parse().ok()).flatten()
}

/// The key takes are grouped by when they share a prompt: Unicode lower case, every run of
/// characters that are not letters or digits turned into one space, trimmed. A prompt and
/// the slug Luma makes of it (`Fly fishing!` → `fly_fishing`) give the same key.
///
/// Lower-casing comes first so that characters whose lower case is not a single letter
/// (`İ` → `i` + combining dot) are split the same way in a prompt and in its slug. Text in
/// NFC and NFD forms gives different keys (no Unicode normalization tables here).
pub fn normalize_prompt(prompt: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // NFC first, so "café" typed (precomposed) and "café" pasted from macOS (decomposed)
    // are one prompt.
    let lower: String = prompt.nfc().collect::<String>().to_lowercase();
    let mut key = String::with_capacity(lower.len());
    let mut gap = false;
    for c in lower.chars() {
        if c.is_alphanumeric() {
            if gap && !key.is_empty() {
                key.push(' ');
            }
            gap = false;
            key.push(c);
        } else {
            gap = true;
        }
    }
    key
}

/// A shot name made from a prompt: its first five words (at most 48 characters), without
/// leading or trailing punctuation, first letter capitalised (`"a red fox runs through
/// snow, slowly"` → `"A red fox runs through"`). Empty when the prompt has no letters or
/// digits.
pub fn shot_name_from_prompt(prompt: &str) -> String {
    let words = prompt
        .split_whitespace()
        .take(SHOT_NAME_WORDS)
        .collect::<Vec<_>>()
        .join(" ");
    let capped: String = words.chars().take(SHOT_NAME_MAX_CHARS).collect();
    let trimmed = capped.trim_matches(|c: char| !c.is_alphanumeric());
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_counters_of_chrome_and_firefox_are_dropped_but_not_a_whole_name() {
        assert_eq!(without_duplicate_counter("SH010_take3 (1)"), "SH010_take3");
        assert_eq!(without_duplicate_counter("SH010_take3(12)"), "SH010_take3");
        assert_eq!(
            without_duplicate_counter("(1)"),
            "(1)",
            "nothing would remain"
        );
        assert_eq!(without_duplicate_counter("a (b)"), "a (b)", "not a counter");
    }

    #[test]
    fn the_extension_is_dropped_but_a_leading_dot_is_not_an_extension() {
        assert_eq!(without_extension("SH010.v2.mp4"), "SH010.v2");
        assert_eq!(without_extension(".mp4"), ".mp4");
        assert_eq!(without_extension("noext"), "noext");
    }
}
