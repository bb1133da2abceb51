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
