//! Quizzes and attestation: the editor's refusals, taking a quiz, the role-change check, and the
//! questions generated from the regulation (asked in the reader's language).
use super::catalogue;

catalogue! {
    /// Quizzes on the regulation and the attestation before a role change.
    QuizMsg {
        KeyShape {} = "quiz_key_shape",
            en "a key is 1–64 lowercase Latin letters, digits or _, starting with a letter",
            ru "ключ — от 1 до 64 строчных латинских букв, цифр или _, начиная с буквы";
        PassPercent {} = "quiz_pass_percent", en "the pass mark is a whole percent from 1 to 100", ru "проходной балл — целый процент от 1 до 100";
        RepeatDays {} = "quiz_repeat_days", en "the repeat period is 1 to 3650 days", ru "период повторения — от 1 до 3650 дней";
        TimeLimit {} = "quiz_time_limit", en "the time limit is 1 to 600 minutes", ru "ограничение времени — от 1 до 600 минут";
        MaxAttempts {} = "quiz_max_attempts", en "the number of attempts is 1 to 100", ru "число попыток — от 1 до 100";
        NoAttemptsLeft { max: i64 } = "quiz_no_attempts_left",
            en "all {max} attempts at this quiz are used", ru "все попытки ({max}) этого теста использованы";
        TimeOver { minutes: i64 } = "quiz_time_over",
            en "the {minutes} minutes for this attempt are over: the answers were not accepted",
            ru "время попытки ({minutes} мин.) истекло: ответы не приняты";
        NotStarted {} = "quiz_not_started",
            en "this quiz has a time limit: start an attempt first and send its start_id",
            ru "у теста есть ограничение времени: сначала начните попытку и передайте её start_id";
        StartUnknown {} = "quiz_start_unknown",
            en "no open attempt with this start_id (it is another's, another quiz's or already answered)",
            ru "нет открытой попытки с таким start_id (она чужая, другого теста или уже сдана)";
        NoQuestions {} = "quiz_no_questions", en "a quiz needs at least one question", ru "в тесте нужен хотя бы один вопрос";
        TooManyQuestions { n: i64 } = "quiz_too_many_questions", en "at most {n} questions", ru "не больше {n} вопросов";
        TooFewOptions {} = "quiz_too_few_options", en "a question needs 2 to 12 answer options", ru "у вопроса должно быть от 2 до 12 вариантов ответа";
        NoRightOption {} = "quiz_no_right_option", en "mark at least one option as right", ru "отметьте хотя бы один правильный вариант";
        SingleOneRight {} = "quiz_single_one_right",
            en "a single-answer question has exactly one right option",
            ru "у вопроса с одним ответом ровно один правильный вариант";
        DuplicateQuestion { key: String } = "quiz_duplicate_question", en "the question key “{key}” is used twice", ru "ключ вопроса «{key}» повторяется";
        Role {} = "quiz_role", en "not a role of this workspace", ru "такой роли нет";
        Spec { error: String } = "quiz_spec", en "the quiz does not read: {error}", ru "тест не читается: {error}";
        HeadsOnly {} = "quiz_heads_only",
            en "only a head of sales or an administrator writes quizzes and sees everyone's results",
            ru "тесты составляют и результаты всех видят руководитель отдела продаж и администратор";
        KeyTaken { key: String } = "quiz_key_taken", en "a quiz with the key “{key}” already exists", ru "тест с ключом «{key}» уже есть";
        UnknownQuestion { key: String } = "quiz_unknown_question", en "the quiz has no question “{key}”", ru "в тесте нет вопроса «{key}»";
        AnswerShape {} = "quiz_answer_shape",
            en "answers are {{question key: [option numbers from 0]}}",
            ru "ответы — {{ключ вопроса: [номера вариантов с 0]}}";
        OptionRange {} = "quiz_option_range", en "no such answer option", ru "такого варианта ответа нет";
        SingleOneAnswer {} = "quiz_single_one_answer", en "choose one answer", ru "выберите один ответ";
        AttestationRequired { quiz: String, role: String } = "quiz_attestation_required",
            en "the role {role} needs the quiz “{quiz}” passed first",
            ru "для роли {role} сначала нужно сдать тест «{quiz}»";
        NothingToGenerate {} = "quiz_nothing_to_generate",
            en "the regulation has nothing to ask about yet: no stage with required fields or a rotting period, no lost reasons",
            ru "в регламенте пока не о чем спросить: нет этапов с обязательными полями или сроком, нет причин проигрыша";
        TextLine { line: i64 } = "quiz_text_line",
            en "line {line}: a question starts with “?”, an option with “+” (right) or “-” (wrong), an explanation with “=”",
            ru "строка {line}: вопрос начинается с «?», вариант — с «+» (верный) или «-» (неверный), пояснение — с «=»";
        // Generated from the regulation.
        GenTitle {} = "quiz_gen_title", en "The CRM regulation", ru "Регламент CRM";
        GenRequiredFields { stage: String } = "quiz_q_required_fields",
            en "Which fields are required at the stage “{stage}”?",
            ru "Какие поля обязательны на этапе «{stage}»?";
        GenRequiredFieldsWhy { stage: String } = "quiz_why_required_fields",
            en "A deal does not move to “{stage}” until these fields are filled.",
            ru "Без этих полей сделку не перевести на этап «{stage}».";
        GenRottingDays { stage: String } = "quiz_q_rotting_days",
            en "How many days may a deal stay at the stage “{stage}”?",
            ru "Сколько дней сделка может находиться на этапе «{stage}»?";
        GenRottingDaysWhy { stage: String, n: i64 } = "quiz_why_rotting_days",
            en "After {n} days at “{stage}” the deal is marked as rotting.",
            ru "Через {n} дн. на этапе «{stage}» сделка помечается как зависшая.";
        Days { n: i64 } = "quiz_days", en "{n} days", ru "{n} дн.";
        GenLostReason {} = "quiz_q_lost_reason", en "Which lost reason is on the workspace's list?", ru "Какая причина проигрыша есть в списке?";
        GenLostReasonWhy {} = "quiz_why_lost_reason",
            en "A lost deal is closed with a reason from the list, so the reasons can be counted.",
            ru "Проигранная сделка закрывается с причиной из списка, чтобы причины можно было посчитать.";
        NotReasonWeather {} = "quiz_not_reason_weather", en "Bad weather", ru "Плохая погода";
        NotReasonMood {} = "quiz_not_reason_mood", en "The manager was not in the mood", ru "Не было настроения";
        NotReasonOther {} = "quiz_not_reason_other", en "No reason needed", ru "Причина не нужна";
        GenGoal { stage: String } = "quiz_q_goal", en "What is the goal of the stage “{stage}”?", ru "Какова цель этапа «{stage}»?";
    }
}
