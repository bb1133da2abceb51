//! The team in the OpenAPI document: work schedules, who is on shift, the team calendar and the
//! routing answer for telephony (docs/TEAM.md).
use super::{any_object, body, error_ref, id_param, if_match_param, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{PathItem, Paths, Required};

const SCHEDULE: &str = "{user_id, shifts: [{day: 1–7, start: HH:MM, end: HH:MM}], business_hours: bool (no pattern: the workspace's hours apply), exceptions: [exception], version, on_shift, next_on_shift}";
const EXCEPTION: &str = "{id, user_id, kind: vacation|sick_leave|day_off|extra_shift, from: YYYY-MM-DD, to: YYYY-MM-DD, start?, end?}";

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/users/{id}/schedule",
        item([
            (
                HttpMethod::Get,
                simple("team", "get_schedule", "A user's work schedule: weekly shifts, exceptions not yet over, on shift now", "200", "the schedule; ETag is its version", object(&format!("{{data: {SCHEDULE}}}")))
                    .parameter(id_param())
                    .response("404", invalid("no such user in this workspace")),
            ),
            (
                HttpMethod::Put,
                simple("team", "put_schedule", "Set a user's weekly shifts (heads of sales and administrators)", "200", "the schedule", object(&format!("{{data: {SCHEDULE}}}")))
                    .parameter(id_param())
                    .parameter(if_match_param())
                    .request_body(Some(body(any_object("{shifts: [{day: 1–7 (1 = Monday), start: \"09:00\", end: \"18:00\"}] in the workspace's time zone, several a day allowed; null: back to business hours}"))))
                    .response("403", invalid("not a head or an administrator (schedule_heads_only)"))
                    .response("412", invalid("If-Match is not the current version"))
                    .response("422", invalid("overlapping shifts (schedule_shift_overlap, args.day names the weekday), a bad day or time; `field` names it")),
            ),
        ]),
    );
    add(
        "/api/v1/users/{id}/schedule/exceptions",
        item([(
            HttpMethod::Post,
            simple("team", "add_schedule_exception", "Add a vacation, sick leave, day off or extra shift (heads of sales and administrators)", "201", "the exception", object(&format!("{{data: {EXCEPTION}}}")))
                .parameter(id_param())
                .request_body(Some(body(any_object("{kind: vacation|sick_leave|day_off|extra_shift, from: YYYY-MM-DD, to?: YYYY-MM-DD (default: from), start?/end?: HH:MM (an extra shift's hours)}"))))
                .response("403", invalid("not a head or an administrator"))
                .response("422", invalid("a bad kind, date or range; `field` names it")),
        )]),
    );
    add(
        "/api/v1/users/{id}/schedule/exceptions/{exception_id}",
        item([(
            HttpMethod::Delete,
            simple("team", "delete_schedule_exception", "Remove an exception (heads of sales and administrators)", "204", "removed", None)
                .parameter(id_param())
                .parameter(
                    ParameterBuilder::new()
                        .name("exception_id")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer))),
                )
                .response("404", invalid("no such exception of this user")),
        )]),
    );
    add(
        "/api/v1/team/on_shift",
        item([(
            HttpMethod::Get,
            simple(
                "team",
                "team_on_shift",
                "Who is on shift now: every active user, those on shift first",
                "200",
                "the team",
                object("{data: [{user_id, name, role, team_id, extension, phone, on_shift, absent: vacation|sick_leave|day_off|null, next_on_shift}], on_shift: [user_id]}"),
            ),
        )]),
    );
    add(
        "/api/v1/team/calendar",
        item([(
            HttpMethod::Get,
            simple(
                "team",
                "team_calendar",
                "The team calendar of a week: per user and day the shifts and the absence",
                "200",
                "the week",
                object("{data: {from, days: [YYYY-MM-DD ×7], rows: [{user_id, name, days: [{hours: [\"09:00–18:00\"], absent}]}]}}"),
            )
            .parameter(query_param("week", "any day of the week (YYYY-MM-DD); default this week"))
            .response("422", invalid("week is not a date")),
        )]),
    );
    add(
        "/api/v1/routing",
        item([(
            HttpMethod::Get,
            simple(
                "team",
                "routing",
                "Whom to connect a caller to: the client's owner when on shift, else the next colleague on shift in the owner's team, else the team's head",
                "200",
                "the responsible manager",
                object("{data: {user_id, name, extension, phone, reason: route_owner_on_shift|route_next_on_shift|route_new_client|route_head_nobody_on_shift, person_id, owner_id, owner_on_shift}}"),
            )
            .parameter(query_param("phone", "the caller's number (E.164 or as dialled in the workspace's region)"))
            .parameter(query_param("mode", "round_robin (default) or least_load: how the next colleague on shift is chosen"))
            .response("422", invalid("no phone or not a phone number")),
        )]),
    );
}

const REVIEW: &str = "{id, activity_id, manager_id, manager_name, week: 2026-W48, direction: inbound|outbound, status: queued|reviewed|disputed|resolved, scorecard_id, reviewer_id, points: {key: n}, score_pct, failed_critical: [key], comment, comment_second, dispute, resolution: upheld|changed, resolution_comment, call_at, call_seconds, recording_url, phone, deal_id, deal_title, person_id, person_name, version}";

/// Call quality review.
pub(super) fn add_reviews(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    let card = "{data: {id, name, version, criteria: [{key, step: contact|needs|presentation|objections|next_step, title, points: [0, 1, 2], weight, critical}], created_at}}";
    add(
        "/api/v1/reviews/scorecard",
        item([
            (
                HttpMethod::Get,
                simple("reviews", "get_scorecard", "The current scorecard (its latest version)", "200", "the scorecard", object(card)),
            ),
            (
                HttpMethod::Put,
                simple(
                    "reviews",
                    "put_scorecard",
                    "Save the scorecard as its next version (heads of sales and administrators)",
                    "200",
                    "the new version",
                    object(card),
                )
                .request_body(Some(body(any_object(
                    "{name?, criteria: [{key?, step, title, points?: [0, 1, 2], weight?: 0–100, critical?: bool}]}",
                ))))
                .response("422", invalid("weights all zero (review_weights_zero), an unknown step, bad points; `field` names it")),
            ),
        ]),
    );
    let settings = "{data: {inbound_pct, outbound_pct, min_seconds, seed, lost_deals}}";
    add(
        "/api/v1/reviews/settings",
        item([
            (HttpMethod::Get, simple("reviews", "get_review_settings", "Sampling settings", "200", "the settings", object(settings))),
            (
                HttpMethod::Patch,
                simple(
                    "reviews",
                    "patch_review_settings",
                    "Change the sampling settings (heads of sales and administrators)",
                    "200",
                    "the settings",
                    object(settings),
                )
                .request_body(Some(body(any_object(
                    "{inbound_pct?: 0–100, outbound_pct?: 0–100, min_seconds?, seed?, lost_deals?: bool (every call of a lost deal too)}",
                ))))
                .response("422", invalid("a share outside 0–100 (review_sample_pct)")),
            ),
        ]),
    );
    add(
        "/api/v1/reviews/sample",
        item([(
            HttpMethod::Post,
            simple("reviews", "sample_week", "Draw a week's sample into the review queue (reproducible; calls already queued stay)", "200", "the sample", object("{data: {week, calls, sampled, queued, managers: [{manager_id, inbound_calls, inbound_sampled, outbound_calls, outbound_sampled}]}}"))
                .request_body(Some(body(any_object("{week?: 2026-W48 (default: last week)}"))))
                .response("403", invalid("not a head or an administrator"))
                .response("422", invalid("not a week")),
        )]),
    );
    add(
        "/api/v1/reviews",
        item([(
            HttpMethod::Get,
            simple(
                "reviews",
                "list_reviews",
                "The review queue and results (a manager sees their own)",
                "200",
                "reviews",
                object(&format!("{{data: [{REVIEW}]}}")),
            )
            .parameter(query_param("status", "queued, reviewed, disputed or resolved"))
            .parameter(query_param("manager_id", "one manager's"))
            .parameter(query_param("week", "2026-W48")),
        )]),
    );
    add(
        "/api/v1/reviews/report",
        item([(
            HttpMethod::Get,
            simple(
                "reviews",
                "review_report",
                "Scores per manager, per criterion (weakest first) and per week",
                "200",
                "the report",
                object(
                    "{data: {from, to, managers: [line], criteria: [line], weeks: [line], manager_weeks: [period], manager_months: [period], criterion_columns: [{key, title, step}], manager_criteria: [{manager_id, manager_name, reviews, cells: [{key, reviews, score_pct, passed_pct}] (one per criterion_columns, in order; score_pct and passed_pct null without reviews)}]}} where line is {key, label, reviews, score_pct} and period is {manager_id, manager_name, period, reviews, score_pct}",
                ),
            )
            .parameter(query_param("from", "first week, 2026-W45 (default: four weeks ago)"))
            .parameter(query_param("to", "last week (default: this week)"))
            .parameter(query_param("format", "json (default), csv (one table, a first column naming the part) or xlsx (a sheet per table, the manager × criterion table among them)"))
            .parameter(query_param("by", "criterion: a csv or xlsx download of the manager × criterion table alone (per criterion: score %, full marks %, calls)")),
        )]),
    );
    add(
        "/api/v1/reviews/{id}",
        item([(
            HttpMethod::Get,
            simple(
                "reviews",
                "get_review",
                "A review with its call, deal and client",
                "200",
                "the review",
                object(&format!("{{data: {REVIEW}}}")),
            )
            .parameter(id_param()),
        )]),
    );
    for (path, id, summary, req, err) in [
        (
            "/api/v1/reviews/{id}/score",
            "score_review",
            "Score a queued call (heads of sales and administrators)",
            "{points: {key: n}, comment?, comment_second?: a second of the recording}",
            "points missing or not an option of the criterion (review_points_not_option)",
        ),
        ("/api/v1/reviews/{id}/dispute", "dispute_review", "The call's manager disputes the review, once", "{text}", "no text"),
        (
            "/api/v1/reviews/{id}/resolve",
            "resolve_review",
            "The head resolves a dispute",
            "{resolution: upheld|changed, points? (when changed), comment?}",
            "a bad resolution or points",
        ),
    ] {
        add(
            path,
            item([(
                HttpMethod::Post,
                simple("reviews", id, summary, "200", "the review", object(&format!("{{data: {REVIEW}}}")))
                    .parameter(id_param())
                    .request_body(Some(body(any_object(req))))
                    .response("403", invalid("not allowed for this user"))
                    .response(
                        "409",
                        invalid(
                            "the review is not in a state for this (review_already_reviewed, review_dispute_once, review_not_disputed)",
                        ),
                    )
                    .response("422", invalid(err)),
            )]),
        );
    }
}
