//! The account page's notification switches: one checkbox per kind of email, saved together.

use leptos::prelude::*;

use crate::api::notifications::{my_notifications, Kind, SetNotifications};
use crate::ui::erase::Erase;
use crate::ui::pages::action_error;
use crate::ui::resource::resource;

#[component]
pub fn NotificationSwitches() -> impl IntoView {
    let action = ServerAction::<SetNotifications>::new();
    let settings = resource(move || action.version().get(), |_| my_notifications());
    let error = action_error(action);
    let saved = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <link rel="stylesheet" href=crate::ui::pages::PAGE_STYLES/>
        <section class="notification-switches" aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">"Email notifications"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let Ok(settings) = settings.await else {
                        return view! { <p class="notice error" role="alert">"Couldn't load your notification settings."</p> }.erase();
                    };
                    let off_note = (!settings.mail_on).then(|| view! {
                        <p class="notice">"This Waymark sends no mail (it has no SMTP server set), so these wait until it does."</p>
                    });
                    view! {
                        {off_note}
                        <ActionForm action>
                            <fieldset>
                                <legend>"Email me when"</legend>
                                {Kind::ALL
                                    .into_iter()
                                    .map(|kind| view! {
                                        <label class="check">
                                            <input type="checkbox" name=kind.as_str() value="on" checked=settings.on.contains(&kind)/>
                                            <span>{kind.label()}</span>
                                        </label>
                                    })
                                    .collect_view()}
                            </fieldset>
                            <p class="muted">"Notifications gather for a few minutes and come as one email. Mention someone with @ and their name."</p>
                            <button type="submit" class="button">"Save notification settings"</button>
                        </ActionForm>
                    }
                        .erase()
                })}
            </Suspense>
            {move || error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            <Show when=saved><p class="notice success" role="status">"Notification settings saved."</p></Show>
        </section>
    }
}
