//! The signed-in person's menu in the top bar: their account, administration, signing out.

use leptos::prelude::*;

use crate::api::auth::{current_user, LogOut};
use crate::ui::erase::Erase;
use crate::ui::resource::resource;

#[component]
pub fn AccountMenu() -> impl IntoView {
    let user = resource(|| (), |_| current_user());
    let log_out = ServerAction::<LogOut>::new();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => {
                        view! {
                            <details class="menu account-menu">
                                <summary class="button ghost">{user.name.clone()}</summary>
                                <ul class="menu-items" role="list">
                                    <li><a href="/account"><span>"Your account"</span><small>{user.email.clone()}</small></a></li>
                                    {user.is_admin.then(|| view! {
                                        <li><a href="/admin"><span>"Members"</span><small>"Invite people, manage accounts"</small></a></li>
                                    })}
                                    <li>
                                        <ActionForm action=log_out>
                                            <button type="submit" class="link"><span>"Sign out"</span></button>
                                        </ActionForm>
                                    </li>
                                </ul>
                            </details>
                        }
                            .erase()
                    }
                    _ => view! { <a class="button ghost" href="/login">"Sign in"</a> }.erase(),
                }
            })}
        </Transition>
    }
}
