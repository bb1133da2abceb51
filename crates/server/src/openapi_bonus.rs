//! The bonus split by role in the OpenAPI document: a pipeline's split and the bonus report
//! (docs/TEAM.md, "Bonus split by role").
use super::{any_object, body, error_ref, id_param, if_match_param, item, json_response, query_param, simple};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, PathItem, Paths, RefOr};

const SPLIT: &str = "{pipeline_id, basis: revenue|margin, shares: {manager, consultant, head} (percent as text, e.g. \"12.5\"), total, configured: bool (false: the pipeline pays no bonus), cost_field: bool (deals have the money field cost the margin needs), version}";
const REPORT: &str = "{from, to, currency, total, unsplit_deals (won deals in pipelines without a split), users: [{user_id, name, bonus, deals, revenue (won deals the user owns), plan (the revenue plans of the months the period touches; null: none), cost_missing, deal_list: [{deal_id, title, pipeline_id, closed_at, currency, value, basis, base (null: margin without a cost), roles: [{role: manager|consultant|head, share, shared_by, amount}], amount, cost_missing}] (with user_id, or a manager's own)}]}";

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/pipelines/{id}/bonus_split",
        item([
            (
                HttpMethod::Get,
                simple("bonus", "get_bonus_split", "A pipeline's bonus split by role", "200", "the split; ETag is its version", object(&format!("{{data: {SPLIT}}}")))
                    .parameter(id_param())
                    .response("404", invalid("no such pipeline in this workspace")),
            ),
            (
                HttpMethod::Put,
                simple("bonus", "put_bonus_split", "Set a pipeline's bonus split (heads of sales and administrators)", "200", "the split", object(&format!("{{data: {SPLIT}}}")))
                    .parameter(id_param())
                    .parameter(if_match_param())
                    .request_body(Some(body(any_object("{basis: revenue|margin (default revenue), shares: {manager, consultant, head}: percent 0–100 with at most two decimals, a number or text (\"12,5\"); a role left out has no share}"))))
                    .response("403", invalid("not a head or an administrator (bonus_split_heads_only)"))
                    .response("412", invalid("If-Match is not the current version"))
                    .response("422", invalid("shares over 100 % in total (bonus_split_over, args.total; field shares), an unknown role (bonus_split_role), a bad share (bonus_split_share; field shares.<role>), a bad basis (bonus_split_basis) or margin without the deals' money field cost (bonus_split_no_cost)")),
            ),
        ]),
    );
    let file = |t: Type, binary: bool| {
        let mut o = ObjectBuilder::new().schema_type(t);
        if binary {
            o = o.format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)));
        }
        ContentBuilder::new().schema(Some(RefOr::T(o.build().into()))).build()
    };
    let mut ok = json_response("the report (format=json)", object(&format!("{{data: {REPORT}}}")));
    ok.content.insert("text/csv".into(), file(Type::String, false));
    ok.content.insert("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(), file(Type::String, true));
    add(
        "/api/v1/reports/bonus",
        item([(
            HttpMethod::Get,
            simple("bonus", "bonus_report", "Each user's bonus over a period beside their revenue plan; for payroll as CSV (one row per user, or one user's deals) or XLSX (users and deals)", "200", "the report", None)
                .response("200", ok)
                .parameter(query_param("from", "first day YYYY-MM-DD in the workspace's zone (with to; default: the current month)"))
                .parameter(query_param("to", "last day YYYY-MM-DD"))
                .parameter(query_param("user_id", "one user's report with their deals (a manager may ask only for their own)"))
                .parameter(query_param("format", "json (default), csv or xlsx"))
                .response("403", invalid("a manager asking for someone else's bonus (bonus_own_only)"))
                .response("422", invalid("a bad day or period, format or user_id; `field` names it")),
        )]),
    );
}
