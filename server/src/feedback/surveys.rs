//! What public form pages read: each touchpoint's name and survey, kept apart from the map.
//!
//! A form is opened by customers, anonymously and often, and it needs a few lines of the map:
//! one card's title and questions. Reading them from the room would load the whole map into
//! memory for every map that has a form in use (a 20,000-card map for three questions), and
//! keep it there. So each form's survey is cached on its own, stamped with the map revision it
//! was read at; the database's revision of the map, read in the same query as the token,
//! tells whether it is still current. Only a miss, after the map changed, reads the map.

use std::collections::HashMap;
use std::sync::Mutex;

use app::api::feedback::PublicForm;
use app::domain::ids::{CardId, MapId, Rev};

use crate::lock;

/// Forms cached at most; past it the cache starts again (every entry is a real form of a real
/// map, so this only bounds a server with very many forms in use).
const MAX_FORMS: usize = 10_000;

#[derive(Default)]
pub struct Surveys {
    forms: Mutex<HashMap<(MapId, CardId), Cached>>,
}

struct Cached {
    rev: Rev,
    /// `None`: the card no longer collects feedback (or is gone) at that revision.
    form: Option<PublicForm>,
}

impl Surveys {
    /// The form of `card` if it was cached at `rev` or later: `Some(None)` when the card
    /// collected no feedback then; `None` when it must be read from the map.
    pub fn get(&self, map: MapId, card: CardId, rev: Rev) -> Option<Option<PublicForm>> {
        let forms = lock(&self.forms);
        let cached = forms.get(&(map, card)).filter(|c| c.rev >= rev)?;
        Some(cached.form.clone())
    }

    /// Remembers what `card`'s form was at `rev` (unless something newer is cached).
    pub fn put(&self, map: MapId, card: CardId, rev: Rev, form: Option<PublicForm>) {
        let mut forms = lock(&self.forms);
        if forms.len() >= MAX_FORMS && !forms.contains_key(&(map, card)) {
            forms.clear();
        }
        let newer = forms
            .get(&(map, card))
            .is_some_and(|cached| cached.rev > rev);
        if !newer {
            forms.insert((map, card), Cached { rev, form });
        }
    }
}

#[cfg(test)]
mod tests {
    use app::domain::feedback::Survey;
    use uuid::Uuid;

    use super::*;

    fn form(name: &str) -> PublicForm {
        PublicForm {
            touchpoint: name.to_owned(),
            survey: Survey::default_for(name),
        }
    }

    #[test]
    fn a_form_is_served_until_its_map_moves_on() {
        let surveys = Surveys::default();
        let (map, card) = (
            MapId::from_uuid(Uuid::new_v4()),
            CardId::from_uuid(Uuid::new_v4()),
        );
        assert_eq!(surveys.get(map, card, Rev(3)), None);
        surveys.put(map, card, Rev(3), Some(form("Checkout")));
        assert_eq!(surveys.get(map, card, Rev(3)), Some(Some(form("Checkout"))));
        assert_eq!(
            surveys.get(map, card, Rev(4)),
            None,
            "the map changed since"
        );
        // A slow reader of an older revision does not undo a newer entry.
        surveys.put(map, card, Rev(5), None);
        surveys.put(map, card, Rev(4), Some(form("Checkout")));
        assert_eq!(surveys.get(map, card, Rev(5)), Some(None));
    }
}
