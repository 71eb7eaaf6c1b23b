//! The signed-in person's menu in the top bar: their account, administration, signing out.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::api::auth::{current_user, LogOut, User};
use crate::ui::erase::Erase;
use crate::ui::resource::resource;

/// The menu of `user`. Plain links and a plain form: the editor carries this in its main
/// module, where loading who is signed in (a resource, a transition, an action form) cost
/// about 29 KB of the bundle; the editor already knows from the map it opened.
#[component]
pub fn AccountMenu(user: User) -> impl IntoView {
    view! {
        <details class="menu account-menu">
            <summary class="button ghost">{user.name}</summary>
            <ul class="menu-items" role="list">
                <li><a href="/account"><span>"Your account"</span><small>{user.email}</small></a></li>
                {user.is_admin.then(|| view! {
                    <li><a href="/admin"><span>"Members"</span><small>"Invite people, manage accounts"</small></a></li>
                })}
                <li>
                    // Posted natively: the server ends the session and answers with the way
                    // to the sign-in page.
                    <form method="post" action=LogOut::url()>
                        <button type="submit" class="link"><span>"Sign out"</span></button>
                    </form>
                </li>
            </ul>
        </details>
    }
}

/// [`AccountMenu`] for whoever is signed in, or a way to sign in: for the pages that do not
/// know who is visiting.
#[component]
pub fn CurrentAccountMenu() -> impl IntoView {
    let user = resource(|| (), |_| current_user());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! { <AccountMenu user/> }.erase(),
                    _ => view! { <a class="button ghost" href="/login">"Sign in"</a> }.erase(),
                }
            })}
        </Transition>
    }
}
