//! Files on cards, the stage gate that asks for a file of a kind, and requisites.
use super::catalogue;

catalogue! {
    /// Attachments: names, sizes, types, kinds and the gates that need them.
    FileMsg {
        Empty {} = "file_empty", en "the file is empty", ru "файл пустой";
        Missing {} = "file_missing", en "attach a file (the multipart part named file)", ru "приложите файл";
        TooLarge { max_mb: i64 } = "file_too_large",
            en "the file is larger than {max_mb} MB", ru "файл больше {max_mb} МБ";
        NameEmpty {} = "file_name_empty", en "the file has no name", ru "у файла нет имени";
        NameTooLong { max: i64 } = "file_name_too_long",
            en "the file name is longer than {max} characters", ru "имя файла длиннее {max} символов";
        NameSeparator {} = "file_name_separator",
            en "a file name must not contain / or \\ or be . or ..", ru "имя файла не может содержать / или \\ и не может быть . или ..";
        NameControl {} = "file_name_control",
            en "a file name must not contain control characters", ru "имя файла не может содержать управляющие символы";
        Executable { name: String } = "file_executable",
            en "{name} is a program or a script; such files are not accepted", ru "{name} — программа или сценарий; такие файлы не принимаются";
        KindShape {} = "file_kind_shape",
            en "a file kind is a word of Latin letters, digits and _ (e.g. signed_contract), at most 64 characters",
            ru "вид файла — слово из латинских букв, цифр и _ (например, signed_contract), не длиннее 64 символов";
        NotAttachable { entity: String } = "file_not_attachable",
            en "files are attached to deals, persons, organizations, activities and notes, not {entity}",
            ru "файлы прикладываются к сделкам, людям, компаниям, делам и заметкам, не к {entity}";
        StageNeedsFiles { stage: String, kinds: Vec<String> } = "stage_needs_files",
            en "to enter stage '{stage}' attach a file of kind: {kinds}", ru "чтобы перейти на этап «{stage}», приложите файл вида: {kinds}";
        WinNeedsFiles { kinds: Vec<String> } = "win_needs_files",
            en "to win the deal attach a file of kind: {kinds}", ru "чтобы выиграть сделку, приложите файл вида: {kinds}";
        StorageFailed {} = "file_storage_failed",
            en "the file could not be stored; nothing was attached", ru "файл не удалось сохранить; ничего не приложено";
    }
}

catalogue! {
    /// Requisites: ИНН, КПП, ОГРН, БИК and accounts.
    RequisiteMsg {
        InnShape {} = "inn_shape",
            en "an INN has 10 digits (a company) or 12 (an individual entrepreneur)", ru "ИНН — 10 цифр (организация) или 12 (ИП)";
        InnCheck {} = "inn_check_digit",
            en "the INN's check digits do not match: a digit is mistyped", ru "не сходятся контрольные цифры ИНН: где-то опечатка";
        KppShape {} = "kpp_shape",
            en "a KPP has 9 characters: 4 digits, 2 digits or capital letters, 3 digits", ru "КПП — 9 знаков: 4 цифры, 2 цифры или заглавные буквы, 3 цифры";
        KppForEntrepreneur {} = "kpp_for_entrepreneur",
            en "an individual entrepreneur (12-digit INN) has no KPP", ru "у ИП (ИНН из 12 цифр) нет КПП";
        OgrnShape {} = "ogrn_shape",
            en "an OGRN has 13 digits, an OGRNIP 15", ru "ОГРН — 13 цифр, ОГРНИП — 15";
        OgrnCheck {} = "ogrn_check_digit",
            en "the OGRN's check digit does not match: a digit is mistyped", ru "не сходится контрольная цифра ОГРН: где-то опечатка";
        OgrnKind {} = "ogrn_kind",
            en "a company (10-digit INN) has a 13-digit OGRN, an entrepreneur (12-digit INN) a 15-digit OGRNIP",
            ru "у организации (ИНН из 10 цифр) ОГРН из 13 цифр, у ИП (ИНН из 12 цифр) — ОГРНИП из 15";
        BikShape {} = "bik_shape", en "a BIK has 9 digits", ru "БИК — 9 цифр";
        AccountShape {} = "account_shape", en "an account number has 20 digits", ru "номер счёта — 20 цифр";
        CorrAccountPrefix {} = "corr_account_prefix",
            en "a correspondent account starts with 30101", ru "корреспондентский счёт начинается с 30101";
        AccountKey {} = "account_key",
            en "the account does not match the BIK (its check digit): the account or the BIK is mistyped",
            ru "счёт не сходится с БИК (по контрольному ключу): опечатка в счёте или в БИК";
        TextTooLong { max: i64 } = "requisite_too_long",
            en "is too long (at most {max} characters)", ru "слишком длинно (не больше {max} символов)";
        AdminsOnly {} = "requisites_admins_only",
            en "only administrators change the workspace's requisites", ru "реквизиты пространства меняют только администраторы";
    }
}
