//! Call quality review: scorecards, the weekly sample, reviews and disputes; the bonus split.
use super::catalogue;

catalogue! {
    /// Call quality review and the bonus split by role.
    ReviewMsg {
        CriteriaShape {} = "review_criteria_shape",
            en "criteria are a list of {{step, title, points: [0, 1, 2], weight, critical}}",
            ru "критерии — список {{step, title, points: [0, 1, 2], weight, critical}}";
        NoCriteria {} = "review_no_criteria", en "a scorecard needs at least one criterion", ru "в оценочном листе нужен хотя бы один критерий";
        TooManyCriteria { n: i64 } = "review_too_many_criteria", en "at most {n} criteria", ru "не больше {n} критериев";
        DuplicateKey { key: String } = "review_duplicate_key", en "the key “{key}” is used twice", ru "ключ «{key}» повторяется";
        PointsShape {} = "review_points_shape",
            en "points are at least two whole numbers from 0 to 100, e.g. [0, 1, 2]",
            ru "баллы — не меньше двух целых чисел от 0 до 100, например [0, 1, 2]";
        WeightShape {} = "review_weight_shape", en "a weight is a whole number from 0 to 100", ru "вес — целое число от 0 до 100";
        WeightsZero {} = "review_weights_zero",
            en "every criterion weighs zero (or has no points above zero): such a scorecard scores nothing",
            ru "у всех критериев нулевой вес (или нет баллов больше нуля): такой лист ничего не оценивает";
        UnknownCriterion { key: String } = "review_unknown_criterion", en "the scorecard has no criterion “{key}”", ru "в оценочном листе нет критерия «{key}»";
        PointsNotOption { options: Vec<String> } = "review_points_not_option", en "must be one of {options}", ru "допустимые баллы: {options}";
        SamplePct {} = "review_sample_pct", en "a share is a number from 0 to 100 (percent)", ru "доля — число от 0 до 100 (процентов)";
        MinSeconds {} = "review_min_seconds", en "the minimum duration is 0 to 36000 seconds", ru "минимальная длительность — от 0 до 36000 секунд";
        HeadsOnly {} = "review_heads_only",
            en "only a head of sales or an administrator reviews calls and sets scorecards",
            ru "звонки оценивают и оценочные листы задают руководитель отдела продаж и администратор";
        NoScorecard {} = "review_no_scorecard", en "the workspace has no scorecard yet", ru "в пространстве ещё нет оценочного листа";
        NotReviewed {} = "review_not_reviewed", en "the call is not reviewed yet", ru "звонок ещё не оценён";
        AlreadyReviewed {} = "review_already_reviewed", en "the call is already reviewed", ru "звонок уже оценён";
        DisputeOnce {} = "review_dispute_once", en "a review is disputed once", ru "оценку можно оспорить только один раз";
        DisputeOwnOnly {} = "review_dispute_own", en "only the manager of the call disputes its review", ru "оспорить оценку может только менеджер звонка";
        NotDisputed {} = "review_not_disputed", en "the review is not disputed", ru "оценка не оспорена";
        Resolution {} = "review_resolution", en "must be upheld or changed", ru "допустимо: upheld (оставить) или changed (изменить)";
        CommentSecond {} = "review_comment_second", en "a moment of the recording is whole seconds from 0", ru "момент записи — целое число секунд от 0";
        Week { s: String } = "review_week", en "“{s}” is not a week such as 2026-W48", ru "«{s}» — не неделя вида 2026-W48";
        // The bonus split.
        SplitRole {} = "bonus_split_role", en "a role is manager, consultant or head", ru "роль — manager (менеджер), consultant (консультант) или head (руководитель)";
        SplitShare {} = "bonus_split_share", en "a share is a percent from 0 to 100", ru "доля — процент от 0 до 100";
        SplitOver { total: String } = "bonus_split_over",
            en "the shares add up to {total} %, more than 100 %", ru "доли в сумме {total} % — больше 100 %";
        SplitBasis {} = "bonus_split_basis", en "the basis is revenue or margin", ru "база — revenue (выручка) или margin (маржа)";
        SplitNoCost {} = "bonus_split_no_cost",
            en "the margin is the deal's value less its cost: add a money field with the key cost to deals first",
            ru "маржа — сумма сделки минус себестоимость: сначала добавьте сделкам денежное поле с ключом cost";
        BonusMixedCurrencies { currency: String, others: String } = "bonus_mixed_currencies",
            en "the period's won deals are in {currency} and in {others}; the workspace keeps no exchange rates, so they are not added up: narrow the period or the pipeline, or enter those deals in {currency}",
            ru "выигранные сделки периода — в {currency} и в {others}; курсов валют в пространстве нет, поэтому суммы не складываются: сузьте период или воронку либо внесите эти сделки в {currency}";
        BonusOwnOnly {} = "bonus_own_only", en "a manager sees only their own bonus", ru "менеджер видит только свой бонус";
        SplitHeadsOnly {} = "bonus_split_heads_only",
            en "only a head of sales or an administrator sets the bonus split",
            ru "распределение бонусов задают руководитель отдела продаж и администратор";
    }
}
