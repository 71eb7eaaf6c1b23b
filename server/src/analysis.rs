//! Offline analysis of the short free-text comments customers leave on touchpoints:
//! sentiment, theme keyword matching, keyword suggestions and representative quotes.
//!
//! Plain std Rust over small read-only tables built once on first use: no model, service
//! or I/O, so it can run inside request handlers. English only.
//!
//! Sentiment re-implements VADER's rules (Hutto & Gilbert, ICWSM-14) over a compact lexicon
//! instead of using a crate: `vader_sentiment` and `vader-sentimental` flip the sign of
//! ordinary sentences ("he is at least smart" scores negative), and the faithful
//! `vader-parity` only knows VADER's social-media lexicon, which lacks everyday
//! customer-experience words ("slow", "late", "expensive", "buggy", "unhelpful", "quick",
//! "intuitive"...), so "Delivery was slow and late" would count as neutral.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

// --- Tokenising -----------------------------------------------------------------------------

/// One word, emoji or emoticon of a comment, as every function in this module sees it.
struct Token {
    /// Lowercased, typographic apostrophes folded to ASCII and a possessive "'s" removed, so
    /// "Customer’s" and "customer" are the same theme word.
    norm: String,
    /// Written in capitals ("TERRIBLE"): VADER reads that as emphasis.
    shouted: bool,
    /// Clauses end at sentence punctuation, commas and line breaks. Negation, boosters,
    /// phrases and bigrams never reach across them, so in "No problems, great staff" the
    /// "no" does not negate "great" (VADER's own tokeniser would let it).
    clause: usize,
    /// False for emoji and emoticons: they carry sentiment but are not theme words.
    is_word: bool,
}

impl Token {
    fn symbol(norm: &str, clause: usize) -> Token {
        let (shouted, is_word) = (false, false);
        Token {
            norm: norm.to_owned(),
            shouted,
            clause,
            is_word,
        }
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘')
}

fn is_clause_break(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '…' | '—')
}

/// Splits text into tokens. Hyphens and other symbols separate words without ending the
/// clause, so "check-out" reads as the phrase "check out".
fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut clause = 0;
    for line in text.lines() {
        for chunk in line.split_whitespace() {
            if SYMBOLS.contains_key(chunk) {
                out.push(Token::symbol(chunk, clause)); // an emoticon such as ":("
                continue;
            }
            // Byte offset where the current word began; an apostrophe continues a word
            // ("don't") but never starts one.
            let mut start = None;
            for (i, c) in chunk.char_indices() {
                if c.is_alphanumeric() || (is_apostrophe(c) && start.is_some()) {
                    start.get_or_insert(i);
                    continue;
                }
                if let Some(word) = start.take().and_then(|s| chunk.get(s..i)) {
                    push_word(&mut out, word, clause);
                }
                let mut buf = [0; 4];
                let emoji = c.encode_utf8(&mut buf);
                if SYMBOLS.contains_key(&*emoji) {
                    out.push(Token::symbol(emoji, clause));
                }
                if is_clause_break(c) {
                    clause += 1;
                }
            }
            if let Some(word) = start.and_then(|s| chunk.get(s..)) {
                push_word(&mut out, word, clause);
            }
        }
        clause += 1;
    }
    out
}

fn push_word(out: &mut Vec<Token>, raw: &str, clause: usize) {
    let raw = raw.trim_matches(is_apostrophe);
    // A single capital ("I", "A") is not shouting.
    let letters = raw.chars().filter(|c| c.is_alphabetic()).count();
    let shouted = letters >= 2 && !raw.chars().any(char::is_lowercase);
    let mut norm: String = raw
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect();
    if norm.len() > 2 && norm.ends_with("'s") {
        norm.truncate(norm.len() - 2);
    }
    if !norm.is_empty() {
        out.push(Token {
            norm,
            shouted,
            clause,
            is_word: true,
        });
    }
}

// --- Sentiment ------------------------------------------------------------------------------

// VADER's empirically derived constants.
/// Added to a booster's or a word's effect when it is written in capitals.
const CAPS_INCREMENT: f64 = 0.733;
/// A negated word keeps a weaker, opposite valence: "not good" is less bad than "bad".
const NEGATION_SCALAR: f64 = -0.74;
/// Boosters one, two and three words before a sentiment word count less with distance.
const BOOSTER_DECAY: [f64; 3] = [1.0, 0.95, 0.9];
/// In x / sqrt(x² + α), approximates the largest sum expected in practice.
const ALPHA: f64 = 15.0;

/// Compound sentiment of a comment in -1.0..=1.0 (VADER-style).
pub fn sentiment(text: &str) -> f64 {
    let tokens = tokenize(text);
    // Capitals are only emphasis when they stand out from the rest of the comment.
    let shouted = tokens.iter().filter(|t| t.shouted).count();
    let caps_stand_out = shouted > 0 && shouted < tokens.iter().filter(|t| t.is_word).count();

    let mut sum = 0.0;
    // "Nice app, but checkout is horrible": what follows "but" is what the customer means,
    // so VADER halves the valences before the first "but" and strengthens those after it.
    let but = tokens.iter().position(|t| t.norm == "but");
    for i in 0..tokens.len() {
        let weight = match but {
            Some(b) if i < b => 0.5,
            Some(b) if i > b => 1.5,
            _ => 1.0,
        };
        sum += weight * valence(&tokens, i, caps_stand_out);
    }
    if sum != 0.0 {
        // Punctuation amplifies whatever the words say; it has no sign of its own.
        sum += punctuation_emphasis(text).copysign(sum);
    }
    (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

/// Whether a sentiment score counts as negative (VADER's conventional threshold: compound <= -0.05).
pub fn is_negative(score: f64) -> bool {
    score <= -0.05
}

/// Valence of token `i` after capitals, and boosters and negators up to three words before.
fn valence(tokens: &[Token], i: usize, caps_stand_out: bool) -> f64 {
    let Some(token) = tokens.get(i) else {
        return 0.0;
    };
    let word = token.norm.as_str();
    let in_clause = |j: usize| tokens.get(j).filter(|t| t.clause == token.clause);
    // "kind of slow" hedges; it says nothing about kindness.
    if matches!(word, "kind" | "sort") && in_clause(i + 1).is_some_and(|t| t.norm == "of") {
        return 0.0;
    }
    let table = if token.is_word { &LEXICON } else { &SYMBOLS };
    // Words like "load" mean nothing until negated: "the page won't load" is a complaint.
    let expected_to_work = token.is_word && EXPECTED_TO_WORK.contains(word);
    let Some(mut valence) = table.get(word).copied().or(expected_to_work.then_some(1.6)) else {
        return 0.0;
    };
    if token.shouted && caps_stand_out {
        valence += CAPS_INCREMENT.copysign(valence);
    }
    let mut negated = false;
    for (distance, decay) in (1..).zip(BOOSTER_DECAY) {
        let Some(prev) = i.checked_sub(distance).and_then(in_clause) else {
            break;
        };
        if let Some(&boost) = BOOSTERS.get(prev.norm.as_str()) {
            // Boosters push away from zero ("very bad" is worse), dampeners towards it.
            let mut scalar = if valence < 0.0 { -boost } else { boost };
            if prev.shouted && caps_stand_out {
                scalar += CAPS_INCREMENT.copysign(valence);
            }
            valence += scalar * decay;
        }
        // "least helpful" reverses like a negation; "at least helpful" does not.
        let least = distance == 1 && prev.norm == "least" && {
            let before = i
                .checked_sub(2)
                .and_then(in_clause)
                .map(|t| t.norm.as_str());
            !matches!(before, Some("at" | "very"))
        };
        if least || prev.norm.ends_with("n't") || NEGATORS.contains(prev.norm.as_str()) {
            valence *= NEGATION_SCALAR;
            negated = true;
        }
    }
    if expected_to_work && !negated {
        return 0.0;
    }
    valence
}

/// VADER's emphasis from "!" (up to four) and repeated "?".
fn punctuation_emphasis(text: &str) -> f64 {
    let exclamations = text.chars().filter(|&c| c == '!').take(4).count();
    let questions = text.chars().filter(|&c| c == '?').take(4).count();
    let question_emphasis = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f64 * 0.18,
        _ => 0.96,
    };
    exclamations as f64 * 0.292 + question_emphasis
}

// --- Themes ---------------------------------------------------------------------------------

/// Whether a comment mentions a theme, given the team's keywords for it. Case-insensitive, matches whole
/// words or phrases ("checkout page"), and a keyword ending in '*' matches as a prefix ("deliver*" matches
/// "delivery", "delivered"). Empty keyword lists never match.
///
/// Keywords are tokenised like comments, so "Check-out" matches "check out", and a phrase
/// does not match across punctuation ("checkout. Page").
pub fn mentions(text: &str, keywords: &[String]) -> bool {
    let keywords: Vec<(Vec<String>, bool)> = keywords
        .iter()
        .map(|k| {
            let k = k.trim();
            let words = tokenize(k.trim_end_matches('*'))
                .into_iter()
                .map(|t| t.norm);
            (words.collect(), k.ends_with('*'))
        })
        // A keyword of only punctuation or '*' must not match everything.
        .filter(|(words, _): &(Vec<String>, bool)| !words.is_empty())
        .collect();
    if keywords.is_empty() {
        return false;
    }
    let tokens = tokenize(text);
    keywords.iter().any(|(words, prefix)| {
        tokens.windows(words.len()).any(|window| {
            let last = words.len() - 1; // windows() of a non-empty keyword are non-empty
            window.iter().all(|t| t.clause == window[last].clause)
                && window.iter().zip(words).enumerate().all(|(i, (t, w))| {
                    t.norm == *w || (*prefix && i == last && t.norm.starts_with(w.as_str()))
                })
        })
    })
}

// --- Keyword suggestions --------------------------------------------------------------------

/// Whether a token can be (part of) a suggested keyword: no stop words, numbers,
/// contractions, single letters or emoji.
fn is_content_word(token: &Token) -> bool {
    let w = token.norm.as_str();
    token.is_word
        && w.chars().nth(1).is_some()
        && w.chars().any(char::is_alphabetic)
        && !w.contains('\'')
        && !STOP_WORDS.contains(w)
}

/// The distinct words and two-word phrases of one comment. Phrases are adjacent content
/// words in one clause: "the checkout page was slow" gives "checkout page", not "page slow".
fn comment_terms(text: &str) -> HashSet<String> {
    let mut terms = HashSet::new();
    let tokens = tokenize(text);
    let mut previous: Option<&Token> = None;
    for token in &tokens {
        if !is_content_word(token) {
            previous = None;
            continue;
        }
        terms.insert(token.norm.clone());
        if let Some(p) = previous.filter(|p| p.clause == token.clause) {
            terms.insert(format!("{} {}", p.norm, token.norm));
        }
        previous = Some(token);
    }
    terms
}

/// Suggested keywords for one touchpoint's comments: words and two-word phrases that are frequent in
/// `comments` but not everywhere in `background` (comments of the whole map), TF-IDF-like, stop words
/// removed, lowercased, at most `limit`, best first, each with the number of comments containing it.
/// Terms found in fewer than 2 comments are not suggested.
///
/// Score: (share of `comments` containing the term) × ln((B + 1) / (b + 1)), with B background
/// comments of which b contain the term. A term in every background comment scores 0 and is
/// dropped; an empty `background` ranks by frequency alone. A word found only inside one
/// suggested phrase ("page" always in "checkout page") is left out as redundant.
pub fn suggest_keywords(
    comments: &[&str],
    background: &[&str],
    limit: usize,
) -> Vec<(String, usize)> {
    // Counting comments rather than occurrences keeps one rant from dominating.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for comment in comments {
        for term in comment_terms(comment) {
            *counts.entry(term).or_default() += 1;
        }
    }
    counts.retain(|_, n| *n >= 2);

    let mut background_counts: HashMap<&str, usize> = HashMap::new();
    for comment in background {
        for term in comment_terms(comment) {
            if let Some((key, _)) = counts.get_key_value(term.as_str()) {
                *background_counts.entry(key.as_str()).or_default() += 1;
            }
        }
    }
    let idf = |term: &str| {
        let seen = background_counts.get(term).copied().unwrap_or(0) as f64;
        if background.is_empty() {
            1.0
        } else {
            ((background.len() as f64 + 1.0) / (seen + 1.0)).ln()
        }
    };
    // (word, count) of each part of a phrase: a word with its phrase's count is subsumed.
    let phrase_parts: HashSet<(&str, usize)> = counts
        .iter()
        .filter_map(|(term, &n)| term.split_once(' ').map(|(a, b)| [(a, n), (b, n)]))
        .flatten()
        .collect();

    let mut scored: Vec<(f64, &String, usize)> = counts
        .iter()
        .filter(|(term, n)| term.contains(' ') || !phrase_parts.contains(&(term.as_str(), **n)))
        .map(|(term, &n)| (n as f64 / comments.len() as f64 * idf(term), term, n))
        .filter(|(score, _, _)| *score > 0.0)
        .collect();
    // Ties broken by count, then alphabetically, so results never depend on hash order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.2.cmp(&a.2)).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, term, n)| (term.clone(), n))
        .collect()
}

// --- Representative quotes ------------------------------------------------------------------

/// Comments of this many characters read well as quotes on a card.
const GOOD_QUOTE_CHARS: (f64, f64) = (40.0, 280.0);
/// How many top suggested keywords a good quote should touch.
const QUOTE_KEYWORDS: usize = 5;

/// Indexes into `comments` of up to `limit` representative quotes: prefer comments of moderate length
/// (say 40–280 chars), that contain the top suggested keywords, and cover the sentiment range (a negative,
/// a positive, a neutral where available); deterministic, no duplicates.
///
/// Order: the best negative, positive and neutral quote (pain points first), then the best of
/// the rest. Quality is length fit plus the share of top keywords (suggested with no
/// background: typical terms are the point here). Blank comments and repeats of an earlier
/// comment's text (ignoring case and spacing) are never chosen.
pub fn representative(comments: &[&str], limit: usize) -> Vec<usize> {
    let top: Vec<String> = suggest_keywords(comments, &[], QUOTE_KEYWORDS)
        .into_iter()
        .map(|(term, _)| term)
        .collect();
    let (low, high) = GOOD_QUOTE_CHARS;

    let mut seen = HashSet::new();
    // (quality, index, mood: -1 negative, 1 positive, 0 neutral)
    let mut candidates: Vec<(f64, usize, i8)> = Vec::new();
    for (index, comment) in comments.iter().enumerate() {
        let key = comment
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if key.is_empty() || !seen.insert(key) {
            continue;
        }
        let chars = comment.trim().chars().count() as f64;
        // 1.0 inside the range, falling off proportionally for terse or rambling comments.
        let length_fit = (chars / low).min(1.0).min(high / chars);
        let terms = comment_terms(comment);
        let hits = top.iter().filter(|t| terms.contains(*t)).count();
        let keyword_fit = hits as f64 / top.len().max(1) as f64;
        let score = sentiment(comment);
        let mood = if is_negative(score) {
            -1
        } else {
            i8::from(score >= 0.05)
        };
        candidates.push((length_fit + keyword_fit, index, mood));
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));

    let best_of = |mood| candidates.iter().find(|c| c.2 == mood).map(|c| c.1);
    let mut chosen: Vec<usize> = [-1, 1, 0]
        .into_iter()
        .filter_map(best_of)
        .take(limit)
        .collect();
    for &(_, index, _) in &candidates {
        if chosen.len() >= limit {
            break;
        }
        if !chosen.contains(&index) {
            chosen.push(index);
        }
    }
    chosen
}

// --- Tables ---------------------------------------------------------------------------------

fn word_set(words: &'static str) -> HashSet<&'static str> {
    words.split_whitespace().collect()
}

/// Words that reverse a sentiment word up to three words later, as does any word ending in
/// "n't". Spellings without the apostrophe are common in quickly typed comments.
static NEGATORS: LazyLock<HashSet<&str>> = LazyLock::new(|| {
    word_set(
        "not no never none nobody nothing neither nor nowhere cannot without rarely seldom \
         despite nope aint arent cant couldnt didnt doesnt dont hadnt hasnt havent isnt \
         mightnt mustnt neednt shant shouldnt wasnt werent wont wouldnt",
    )
});

/// Neutral verbs that become complaints when negated ("didn't arrive", "won't load").
static EXPECTED_TO_WORK: LazyLock<HashSet<&str>> = LazyLock::new(|| {
    word_set(
        "work working load loads loading arrive arrives arrived respond responds responded \
         answer answers answered reply replied open opens opened connect connects connected",
    )
});

/// VADER's booster increments: the first list intensifies, the second dampens.
static BOOSTERS: LazyLock<HashMap<&str, f64>> = LazyLock::new(|| {
    let up = word_set(
        "absolutely amazingly awfully completely considerably decidedly deeply enormously \
         entirely especially exceptionally extremely fabulously fully greatly highly hugely \
         incredibly insanely intensely majorly more most particularly purely quite really \
         remarkably ridiculously seriously so substantially super thoroughly too totally \
         tremendously truly unbelievably unusually utterly very",
    );
    let down = word_set(
        "almost barely fairly hardly kinda less little marginally occasionally partly \
         scarcely slightly somewhat sorta",
    );
    let up = up.into_iter().map(|w| (w, 0.293));
    up.chain(down.into_iter().map(|w| (w, -0.293))).collect()
});

/// Function words and filler that never make a useful theme keyword.
static STOP_WORDS: LazyLock<HashSet<&str>> = LazyLock::new(|| {
    word_set(
        "a about above after again against all also am an and another any anyone anything are \
         as at be because been before being below between bit both but by can could did do \
         does doing down during each etc even ever every everyone everything few for from \
         further get gets go got had has have having he her here hers herself him himself his \
         how i if in into is it its itself just like lot lots made make many may maybe me \
         might more most much must my myself no nor not now of off ok okay on once one only \
         or other our ours ourselves out over own per please quite really same shall she \
         should since so some someone something still such than thank thanks that the their \
         theirs them themselves then there these they thing things this those though through \
         to too under until up us use used very via was way we well went were what when where \
         which while who whom why will with would yes yet you your yours yourself yourselves \
         nobody anybody somebody everybody nothing",
    )
});

/// Emoticons (matched as a whole whitespace-separated chunk) and a few common emoji, with
/// valences on VADER's scale.
static SYMBOLS: LazyLock<HashMap<&str, f64>> =
    LazyLock::new(|| SYMBOL_ENTRIES.iter().copied().collect());

#[rustfmt::skip]
const SYMBOL_ENTRIES: &[(&str, f64)] = &[
    (":)", 2.0), (":-)", 2.0), (":D", 2.3), (":-D", 2.3), (";)", 1.5), ("<3", 1.9), (":(", -1.9),
    (":-(", -1.9), (":'(", -2.0), (":/", -1.0), (":-/", -1.0),
    ("🙂", 1.6), ("😊", 2.0), ("😀", 2.0), ("😃", 2.0), ("😄", 2.0), ("😁", 2.0), ("😍", 2.7),
    ("🥰", 2.7), ("👍", 1.8), ("👏", 1.8), ("🎉", 2.0), ("❤", 2.2), ("💯", 1.5), ("😂", 1.5),
    ("🙁", -1.6), ("☹", -1.8), ("😞", -1.9), ("😟", -1.6), ("😢", -2.0), ("😭", -2.2), ("😠", -2.3),
    ("😡", -2.6), ("🤬", -3.0), ("😤", -1.8), ("👎", -1.8), ("💩", -2.0), ("🤮", -2.5), ("😒", -1.4),
];

/// Sentiment words with valences on VADER's -4..=4 scale. Words VADER knows keep VADER's
/// valence (vaderSentiment lexicon, MIT licence, © C.J. Hutto); the customer-experience words
/// it lacks ("slow", "late", "expensive", "buggy", "unhelpful", "quick", "smooth",
/// "intuitive"...) are ours. Words that are also boosters ("super") live only in BOOSTERS.
static LEXICON: LazyLock<HashMap<&str, f64>> =
    LazyLock::new(|| LEXICON_ENTRIES.iter().copied().collect());

#[rustfmt::skip]
const LEXICON_ENTRIES: &[(&str, f64)] = &[
    ("abysmal", -3.0), ("accurate", 1.2), ("affordable", 1.3), ("afraid", -1.5), ("amazing", 2.8),
    ("angry", -2.3), ("annoyance", -1.3), ("annoyed", -1.6), ("annoying", -1.7),
    ("appreciate", 1.7), ("appreciated", 2.3), ("atrocious", -3.0), ("attentive", 1.6),
    ("awesome", 3.1), ("awful", -2.0), ("awkward", -0.6), ("bad", -2.5), ("badly", -2.1),
    ("beautiful", 2.9), ("benefit", 2.0), ("best", 3.2), ("better", 1.9), ("bonus", 2.5),
    ("boring", -1.3), ("bothered", -1.3), ("brilliant", 2.8), ("broke", -1.8), ("broken", -2.1),
    ("bug", -1.2), ("buggy", -1.7), ("bugs", -1.2), ("canceled", -1.0), ("cancelled", -1.0),
    ("careless", -1.5), ("caring", 2.2), ("charged", -0.8), ("cheerful", 2.5), ("clean", 1.7),
    ("clear", 1.6), ("clunky", -1.4), ("cluttered", -1.0), ("comfortable", 2.3), ("complain", -1.5),
    ("complained", -1.7), ("complaint", -1.2), ("complaints", -1.7), ("complicated", -1.2),
    ("confused", -1.3), ("confusing", -0.9), ("confusion", -1.2), ("convenient", 1.5),
    ("cool", 1.3), ("costly", -0.4), ("courteous", 2.3), ("crap", -1.6), ("crash", -1.7),
    ("crashed", -1.7), ("crashes", -1.7), ("crashing", -1.7), ("cumbersome", -1.4),
    ("damaged", -1.9), ("defective", -1.9), ("delay", -1.3), ("delayed", -0.9), ("delays", -0.9),
    ("delighted", 2.3), ("denied", -1.9), ("difficult", -1.5), ("dirty", -1.9),
    ("disappointed", -2.1), ("disappointing", -2.2), ("disappointment", -2.3), ("disaster", -3.1),
    ("disgusting", -2.4), ("dislike", -1.6), ("disliked", -1.7), ("dreadful", -1.9), ("dumb", -2.3),
    ("easier", 1.8), ("easiest", 1.8), ("easily", 1.4), ("easy", 1.9), ("efficient", 1.8),
    ("effortless", 1.8), ("enjoy", 2.2), ("enjoyable", 1.9), ("enjoyed", 2.3), ("error", -1.7),
    ("errors", -1.4), ("excellent", 2.7), ("exceptional", 2.6), ("excited", 1.4), ("exciting", 2.2),
    ("expensive", -1.0), ("fabulous", 2.4), ("fail", -2.5), ("failed", -2.3), ("failing", -2.3),
    ("fails", -1.8), ("failure", -2.3), ("fair", 1.3), ("fantastic", 2.6), ("fast", 1.2),
    ("faster", 1.0), ("faulty", -1.3), ("favorite", 2.0), ("favourite", 2.0), ("fear", -2.2),
    ("fine", 0.8), ("flawless", 2.3), ("fraud", -2.8), ("free", 1.0), ("friendly", 2.2),
    ("frustrated", -2.4), ("frustrating", -1.9), ("frustration", -2.1), ("fun", 2.3),
    ("furious", -2.7), ("garbage", -2.1), ("generous", 2.3), ("glad", 2.0), ("glitch", -1.3),
    ("glitches", -1.3), ("glitchy", -1.6), ("good", 1.9), ("gorgeous", 3.0), ("grateful", 2.0),
    ("great", 3.1), ("handy", 1.2), ("happily", 2.6), ("happy", 2.7), ("hard", -0.4),
    ("harmful", -2.2), ("hassle", -1.5), ("hate", -2.7), ("hated", -3.2), ("hates", -1.9),
    ("helped", 1.5), ("helpful", 1.8), ("helpless", -2.0), ("honest", 2.3), ("hopeless", -2.0),
    ("horrendous", -2.8), ("horrible", -2.5), ("horribly", -2.4), ("hurt", -2.4), ("ignored", -1.3),
    ("impossible", -1.5), ("impressed", 2.1), ("impressive", 2.3), ("improved", 2.1),
    ("improvement", 2.0), ("inaccurate", -1.4), ("incompetent", -2.1), ("inconvenient", -1.4),
    ("incorrect", -1.3), ("incredible", 2.2), ("inefficient", -1.5), ("informative", 1.3),
    ("infuriating", -2.4), ("intuitive", 1.8), ("irritated", -2.0), ("irritating", -2.0),
    ("issue", -0.6), ("issues", -0.6), ("joy", 2.8), ("kind", 2.4), ("knowledgeable", 1.5),
    ("lack", -1.3), ("lacking", -1.1), ("lacks", -1.0), ("lag", -1.4), ("laggy", -1.5),
    ("late", -1.0), ("lied", -1.6), ("lies", -1.8), ("liked", 1.8), ("lose", -1.7), ("lost", -1.3),
    ("lousy", -2.5), ("love", 3.2), ("loved", 2.9), ("lovely", 2.8), ("loves", 2.7),
    ("loving", 2.9), ("mediocre", -1.2), ("meh", -0.3), ("mess", -1.5), ("messy", -1.5),
    ("misleading", -1.7), ("missing", -1.2), ("mistake", -1.4), ("mistakes", -1.5), ("neat", 2.0),
    ("nice", 1.8), ("nicely", 1.9), ("nightmare", -2.6), ("ok", 1.2), ("okay", 0.9),
    ("outdated", -1.0), ("outstanding", 3.0), ("overcharged", -2.0), ("overpriced", -1.8),
    ("overwhelmed", 0.2), ("overwhelming", -1.0), ("pain", -2.3), ("painful", -1.9),
    ("painless", 1.2), ("pathetic", -2.7), ("perfect", 2.7), ("perfectly", 3.2), ("pleasant", 2.3),
    ("pleasantly", 2.1), ("pleased", 1.9), ("polite", 1.8), ("poor", -2.1), ("poorly", -1.9),
    ("positive", 2.6), ("pricey", -0.8), ("problem", -1.7), ("problems", -1.7),
    ("professional", 1.2), ("prompt", 1.0), ("promptly", 1.2), ("quick", 1.0), ("quickly", 1.0),
    ("reasonable", 1.0), ("reassured", 1.7), ("reassuring", 1.7), ("recommend", 1.5),
    ("recommended", 0.8), ("refused", -1.2), ("reliable", 1.5), ("relief", 2.1), ("relieved", 1.6),
    ("resolved", 0.7), ("responsive", 1.5), ("ridiculous", -1.5), ("ripoff", -2.5), ("risk", -1.1),
    ("risky", -0.8), ("rubbish", -2.1), ("rude", -2.0), ("sad", -2.1), ("sadly", -1.8),
    ("safe", 1.9), ("satisfied", 1.8), ("satisfying", 2.0), ("saved", 1.8), ("scam", -2.7),
    ("scary", -2.2), ("seamless", 1.9), ("seamlessly", 1.9), ("secure", 1.4), ("shocking", -1.7),
    ("simple", 0.8), ("slow", -1.2), ("slower", -1.0), ("slowly", -0.9), ("smooth", 1.5),
    ("smoothly", 1.5), ("solved", 1.1), ("spam", -1.5), ("speedy", 1.3), ("straightforward", 1.2),
    ("stress", -1.8), ("stressful", -2.3), ("stuck", -1.0), ("stupid", -2.4), ("success", 2.7),
    ("successful", 2.8), ("sucked", -2.0), ("sucks", -1.5), ("superb", 3.1), ("tedious", -1.5),
    ("terrible", -2.1), ("terribly", -2.6), ("terrific", 2.1), ("thank", 1.5), ("thankful", 2.7),
    ("thanks", 1.9), ("transparent", 1.0), ("trouble", -1.7), ("trust", 2.3), ("trusted", 2.1),
    ("ugly", -2.3), ("unacceptable", -2.0), ("unbearable", -2.6), ("unclear", -1.0),
    ("uncomfortable", -1.6), ("unfortunately", -1.4), ("unfriendly", -1.5), ("unhappy", -1.8),
    ("unhelpful", -1.8), ("unintuitive", -1.6), ("unprofessional", -2.3), ("unreliable", -1.7),
    ("unresponsive", -1.6), ("unsafe", -2.0), ("unusable", -2.2), ("upset", -1.6), ("useful", 1.9),
    ("useless", -1.8), ("vague", -0.4), ("valuable", 2.1), ("waste", -1.8), ("wasted", -2.2),
    ("welcome", 2.0), ("win", 2.8), ("wonderful", 2.7), ("wonderfully", 2.9), ("worked", 0.8),
    ("works", 0.8), ("worried", -1.2), ("worry", -1.9), ("worse", -2.1), ("worst", -3.1),
    ("worth", 0.9), ("worthwhile", 1.4), ("wow", 2.8), ("wrong", -2.1), ("yay", 2.4),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(words: &str) -> Vec<String> {
        words.split('|').map(str::to_owned).collect()
    }

    #[test]
    fn clear_sentences_have_the_expected_sign() {
        let positive = "The staff were friendly and the checkout was quick.|Great app, I love it!|\
            Seamless and intuitive, highly recommended 👍|Thanks :)|No problems, great staff|\
            Checkout went smoothly without any issues|Not bad at all";
        for text in positive.split('|') {
            assert!(sentiment(text) >= 0.05, "{text}: {}", sentiment(text));
        }
        let negative = "Delivery was slow and the app kept crashing.|Way too expensive :(|\
            Terrible customer service, rude and unhelpful.|The parcel arrived late and damaged 😡|\
            The support was not good|It wasn't very helpful at all|Nobody helped me|\
            The page won't load|My order never arrived|the app dont work";
        for text in negative.split('|') {
            assert!(is_negative(sentiment(text)), "{text}: {}", sentiment(text));
        }
        for text in "I ordered a jacket on Tuesday.||  |42|The parcel arrived".split('|') {
            assert_eq!(sentiment(text), 0.0, "{text}");
        }
    }

    #[test]
    fn but_shifts_weight_to_the_second_clause() {
        let but = sentiment("The app is nice, but the checkout is horrible.");
        assert!(is_negative(but));
        assert!(sentiment("The app is nice and the checkout is horrible.") > but);
        assert!(sentiment("The checkout was awful but the staff were lovely") > 0.05);
    }

    #[test]
    fn boosters_caps_and_punctuation_intensify() {
        assert!(sentiment("very good") > sentiment("good"));
        assert!(sentiment("extremely slow") < sentiment("slow"));
        assert!(sentiment("slightly slow") > sentiment("slow"));
        assert!(sentiment("The app is TERRIBLE") < sentiment("The app is terrible"));
        assert!(sentiment("Great service!!!") > sentiment("Great service"));
        assert!(sentiment("kind of slow") < 0.0, "a hedge, not kindness");
        assert!(sentiment("he is at least helpful") > 0.0);
        assert!(sentiment("the least helpful agent") < 0.0);
        // A comment written entirely in capitals is not emphasised against itself.
        assert_eq!(sentiment("GOOD SERVICE"), sentiment("good service"));
    }

    #[test]
    fn nothing_panics_and_scores_stay_in_range() {
        let huge_negative = "awful! ".repeat(20_000);
        let huge_mixed = "ÄÖÜ ß 日本語 🙂 \u{301}\u{200b}İSTANBUL ''' * — ".repeat(2_000);
        let odd =
            "|\0|'|’s|*|:)|💩💩💩|\u{202e}evil|a\u{301}|n't|BAD|!!!!!!???????|no not never good";
        let mut inputs: Vec<&str> = odd.split('|').collect();
        inputs.extend([huge_negative.as_str(), &huge_mixed]);
        for text in &inputs {
            assert!((-1.0..=1.0).contains(&sentiment(text)), "{text:.40}");
            let _ = mentions(text, &kw("bad|awful*|日本語|n't|*"));
        }
        assert!(sentiment(&huge_negative) < -0.99);
        let _ = suggest_keywords(&inputs, &inputs, 10);
        assert!(representative(&inputs, 100).len() <= inputs.len());
    }

    #[test]
    fn negative_threshold_is_vaders() {
        assert!(is_negative(-0.05) && is_negative(-1.0));
        assert!(!is_negative(-0.049) && !is_negative(0.0) && !is_negative(f64::NAN));
    }

    #[test]
    fn mentions_matches_whole_words_phrases_and_prefixes() {
        let cart = kw("cart");
        for text in "Items vanished from my cart.|The CART page|the cart's total".split('|') {
            assert!(mentions(text, &cart), "{text}");
        }
        for text in "I watched a cartoon|shopping-carts|".split('|') {
            assert!(!mentions(text, &cart), "{text}");
        }
        let phrase = kw("checkout page");
        assert!(mentions("The Checkout   Page froze", &phrase));
        assert!(!mentions("The page after checkout froze", &phrase));
        assert!(!mentions("I reached checkout. Page two was blank", &phrase));
        assert!(mentions("check-out was slow", &kw("check out")));
        assert!(mentions("check out was slow", &kw(" Check-Out ")));

        let deliver = kw("deliver*");
        for text in "Delivery was late|It was delivered|They DELIVER fast|deliveries".split('|') {
            assert!(mentions(text, &deliver), "{text}");
        }
        assert!(!mentions("undelivered parcel", &deliver));
        assert!(mentions("fast shipping", &kw("fast ship*")));
        assert!(!mentions("fast and shipping", &kw("fast ship*")));

        assert!(mentions("the app crashed", &kw("cart|app")), "any keyword");
        assert!(!mentions("the app crashed", &[]));
        assert!(!mentions("the app crashed", &kw("|  |*|...|-*")));
    }

    const PARCEL: [&str; 4] = [
        "The parcel arrived damaged",
        "My parcel was left outside in the rain",
        "Parcel never showed up, great",
        "Great service overall",
    ];

    #[test]
    fn suggestions_prefer_terms_specific_to_the_touchpoint() {
        let mut map = PARCEL.to_vec();
        map.extend(
            "Great app|Great checkout|Great staff|App crashed|Checkout was great".split('|'),
        );
        let suggested = suggest_keywords(&PARCEL, &map, 10);
        assert_eq!(suggested.first(), Some(&("parcel".to_owned(), 3)));
        for (term, n) in &suggested {
            assert!(*n >= 2 && term.to_lowercase() == *term, "{term}");
        }
        let terms: Vec<&str> = suggested.iter().map(|(t, _)| t.as_str()).collect();
        assert!(
            !terms.contains(&"the") && !terms.contains(&"damaged"),
            "{terms:?}"
        );
        assert!(
            terms.iter().position(|t| *t == "great") > Some(0),
            "{terms:?}"
        );
        assert_eq!(suggested, suggest_keywords(&PARCEL, &map, 10));
        assert_eq!(suggest_keywords(&PARCEL, &map, 1).len(), 1);
        assert!(suggest_keywords(&PARCEL, &map, 0).is_empty());
        assert!(suggest_keywords(&[], &map, 5).is_empty());
    }

    #[test]
    fn suggestions_find_phrases_and_drop_ubiquitous_terms() {
        let comments = [
            "The checkout page kept timing out in the app",
            "checkout page is confusing in the app",
            "Why does the checkout page ask twice? app bug",
            "App ok",
        ];
        let suggested = suggest_keywords(&comments, &comments, 5);
        let terms: Vec<&str> = suggested.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(terms.first(), Some(&"checkout page"), "{terms:?}");
        // "page" never occurs outside the phrase, and "app" is in every comment of the map.
        assert!(
            !terms.contains(&"page") && !terms.contains(&"app"),
            "{terms:?}"
        );
        // With no background, frequency alone decides.
        assert_eq!(suggest_keywords(&comments, &[], 1), [("app".to_owned(), 4)]);
    }

    #[test]
    fn representative_quotes_cover_the_sentiment_range() {
        let long = format!(
            "Long story. {}",
            "The delivery was fine I guess. ".repeat(40)
        );
        let comments = [
            "bad",
            "The delivery was late and the driver was rude to my neighbour.", // negative
            "ok",
            "The delivery arrived early and the driver was friendly, great service!", // positive
            &long,
            "The delivery came on Tuesday and the driver left it at the door.", // neutral
            "The  delivery was LATE and the driver was rude to my neighbour.",  // repeats 1
            "   ",
        ];
        assert_eq!(representative(&comments, 3), [1, 3, 5]);
        assert_eq!(representative(&comments, 3), [1, 3, 5], "deterministic");
        assert_eq!(representative(&comments, 1), [1]);
        assert!(representative(&comments, 0).is_empty() && representative(&[], 3).is_empty());
        let all = representative(&comments, 100);
        assert_eq!(all.len(), 6, "{all:?}");
        assert!(
            !all.contains(&6) && !all.contains(&7),
            "repeats and blanks are skipped"
        );
        let mut distinct = all.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len());
        // A terse negative loses to a quotable one.
        assert_eq!(representative(&["bad", comments[1]], 1), [1]);
    }

    #[test]
    fn tables_are_consistent() {
        let mut seen = HashSet::new();
        for &(word, valence) in LEXICON_ENTRIES {
            assert!(seen.insert(word), "{word} twice");
            assert_eq!(word, word.to_lowercase(), "{word}");
            assert!((-4.0..=4.0).contains(&valence) && valence != 0.0, "{word}");
            assert!(
                !BOOSTERS.contains_key(word) && !NEGATORS.contains(word),
                "{word}"
            );
        }
        assert_eq!(LEXICON.len(), LEXICON_ENTRIES.len());
        assert_eq!(SYMBOLS.len(), SYMBOL_ENTRIES.len());
    }
}
