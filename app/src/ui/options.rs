//! A select's options as one piece of markup.
//!
//! A big map has up to three selects on every card. Built as views, each option is a node to
//! render on the server, walk when hydrating and keep a type for in the bundle, though the
//! options never change while the card is shown (a changed card is a new card view). As one
//! string set as the select's `inner_html`, they cost one attribute. Only the app's own fixed
//! labels go in here, never user text; they are escaped all the same.

/// The options of a select for an optional field: first an empty value labelled `none`, then
/// one option per item of `all`, with `current` selected.
pub fn optional_options<T: Copy + PartialEq, V: AsRef<str>, L: AsRef<str>>(
    none: &str,
    current: Option<T>,
    all: impl IntoIterator<Item = T>,
    value: impl Fn(T) -> V,
    label: impl Fn(T) -> L,
) -> String {
    let mut html = String::new();
    push_option(&mut html, "", none, current.is_none());
    for item in all {
        let selected = current == Some(item);
        push_option(
            &mut html,
            value(item).as_ref(),
            label(item).as_ref(),
            selected,
        );
    }
    html
}

fn push_option(html: &mut String, value: &str, label: &str, selected: bool) {
    html.push_str("<option value=\"");
    escape_into(html, value);
    html.push('"');
    if selected {
        html.push_str(" selected");
    }
    html.push('>');
    escape_into(html, label);
    html.push_str("</option>");
}

/// Appends `text` to `html` escaped for an element's content or a double-quoted attribute.
pub fn escape_into(html: &mut String, text: &str) {
    if !text.contains(['&', '<', '>', '"']) {
        html.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            other => html.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_the_current_option_and_escapes_text() {
        let html = optional_options(
            "None",
            Some(2),
            [1, 2],
            |n| format!("a\"{n}"),
            |n| {
                if n == 2 {
                    "<Fish & chips>"
                } else {
                    "Soup"
                }
            },
        );
        assert_eq!(
            html,
            "<option value=\"\">None</option>\
             <option value=\"a&quot;1\">Soup</option>\
             <option value=\"a&quot;2\" selected>&lt;Fish &amp; chips&gt;</option>"
        );
    }

    #[test]
    fn nothing_current_selects_the_empty_option() {
        let html = optional_options("None", None, [1], |n: i32| n.to_string(), |_| "One");
        assert_eq!(
            html,
            "<option value=\"\" selected>None</option><option value=\"1\">One</option>"
        );
    }
}
