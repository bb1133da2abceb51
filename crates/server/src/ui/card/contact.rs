//! The person's and the organization's cards.
use super::*;
// ---------------------------------------------------------------------------------------------
// Person and organization cards.

pub struct DealRow {
    pub id: i64,
    pub title: String,
    pub stage: String,
    pub value: String,
    pub status_label: String,
    pub status_class: &'static str,
}

pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub job_title: String,
}

pub struct ContactView {
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub fields: Vec<FieldView>,
    pub custom: Vec<FieldView>,
    pub deals: Vec<DealRow>,
    /// An organization's people (empty for a person).
    pub people: Vec<PersonRow>,
    pub is_org: bool,
    /// Where the "merge with…" block loads from, for users who may change the record.
    pub merge_url: Option<String>,
    /// Labels assistants set and what they did lately.
    pub assistants: crate::ui::assistants::CardBlock,
    /// The fields edited in place, for users who may change the record.
    pub edit_url: Option<String>,
    /// "+ deal" for this client: the form with the person (and their company) filled in.
    pub new_deal_url: String,
    /// Why a person was marked as not a client, shown with a way to take the mark off.
    pub not_lead: Option<String>,
    /// Whether the reader may take the mark off.
    pub may_unmark: bool,
}

#[derive(Template)]
#[template(path = "card_contact.html")]
pub(super) struct ContactPage {
    pub(super) ctx: crate::ui::Ctx,
    pub(super) t: T,
    pub(super) c: ContactView,
    pub(super) tl: TimelineView,
}

/// A contact's deals shown on their card, newest first.
pub(super) const RELATED: &str = "100";

pub(super) async fn related_deals(st: &AppState, ui: &Ui, entity: Entity, id: i64) -> Result<Vec<Row>, StoreError> {
    let lq = ListQuery {
        limit: Some(RELATED.into()),
        sort: Some("-updated_at".into()),
        filters: vec![(link_field(entity).into(), id.to_string())],
        ..ListQuery::default()
    };
    Ok(st.db.list(&ui.actor, Entity::Deal, &lq).await?.data)
}

pub(super) const PERSON_LINES: &[&str] =
    &["organization_id", "phone", "other_phones", "email", "other_emails", "telegram", "whatsapp", "owner_id"];
pub(super) const ORG_LINES: &[&str] = &["address", "website", "tax_id", "owner_id"];

pub(super) async fn contact_view(
    st: &AppState,
    ui: &Ui,
    entity: Entity,
    row: &Row,
    defs: &[Def],
    deals: &[Row],
) -> Result<ContactView, StoreError> {
    let is_org = entity == Entity::Organization;
    let people = if is_org {
        let lq = ListQuery {
            limit: Some(RELATED.into()),
            sort: Some("name".into()),
            filters: vec![("organization_id".into(), row.id().to_string())],
            ..ListQuery::default()
        };
        st.db.list(&ui.actor, Entity::Person, &lq).await?.data
    } else {
        Vec::new()
    };
    let mut ids = NameIds::default();
    ids.of_row(row, defs);
    for d in deals {
        ids.push(RefKind::Stage, d.get("stage_id").as_int());
    }
    let names = Names::load(st, ui, ids).await?;
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &names, defs, currency: ui.actor.ws.currency.clone() };
    let lines = if is_org { ORG_LINES } else { PERSON_LINES };
    let new_deal_url = if is_org {
        format!("/deals/new?organization_id={}", row.id())
    } else {
        let org = row.get("organization_id").as_int().map(|o| format!("&organization_id={o}")).unwrap_or_default();
        format!("/deals/new?person_id={}{org}", row.id())
    };
    Ok(ContactView {
        id: row.id(),
        edit_url: ui.actor.caller.may_write(entity).is_ok().then(|| format!("{}/edit", card_url(entity, row.id()))),
        new_deal_url,
        not_lead: row.get("not_lead_reason").as_text().filter(|s| !s.trim().is_empty()).map(str::to_string),
        may_unmark: ui.actor.caller.may_write(entity).is_ok(),
        title: text(row, "name"),
        subtitle: if is_org { String::new() } else { text(row, "job_title") },
        fields: show.lines(row, lines),
        custom: show.custom_lines(row),
        deals: deals
            .iter()
            .map(|d| {
                let status = text(d, "status");
                let currency = d.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
                DealRow {
                    id: d.id(),
                    title: text(d, "title"),
                    stage: d.get("stage_id").as_int().map(|s| names.get(RefKind::Stage, s)).unwrap_or_default(),
                    value: ui.fmt().money(d.get("value").as_int().unwrap_or(0), &currency),
                    status_label: ui.t.t(status_key(&status)).to_string(),
                    status_class: status_class(&status),
                }
            })
            .collect(),
        people: people.iter().map(|p| PersonRow { id: p.id(), name: text(p, "name"), job_title: text(p, "job_title") }).collect(),
        is_org,
        merge_url: ui.actor.caller.may_write(entity).is_ok().then(|| format!("{}/merge", card_url(entity, row.id()))),
        assistants: crate::ui::assistants::card_block(st, ui, entity, row.id()).await?,
    })
}

/// Takes a person's not-a-client mark off: their next call or message creates a deal again.
pub(super) async fn unmark_person(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match st.db.update(&ui.actor, Entity::Person, id, &serde_json::json!({"not_lead_reason": null})).await {
        Ok(_) => crate::ui::kit::go_to(&ui, &crate::ui::kit::saved_at("", &card_url(Entity::Person, id))),
        Err(e) => store_error(&ui, e),
    }
}

pub(super) async fn contact_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, entity: Entity) -> Response {
    let loaded = async {
        let row = st.db.get(&ui.actor, entity, id).await?;
        let defs = custom_defs(&st, &ui, entity).await?;
        let deals = related_deals(&st, &ui, entity, id).await?;
        let c = contact_view(&st, &ui, entity, &row, &defs, &deals).await?;
        let titles = deal_titles(&deals);
        let src = TimelineSource { entity, id, defs: &defs, currency: ui.actor.ws.currency.clone(), deal_titles: &titles };
        let tl = load_timeline(&st, &ui, &src, None).await?;
        Ok::<_, StoreError>((c, tl))
    };
    match loaded.await {
        Ok((c, tl)) => {
            let nav = if entity == Entity::Person { "persons" } else { "organizations" };
            render(&ContactPage { ctx: ui.ctx(nav, c.title.clone()), t: ui.t, c, tl })
        }
        Err(e) => store_error(&ui, e),
    }
}
