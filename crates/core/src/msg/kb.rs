//! The knowledge base: article keys, links and who may edit.
use super::catalogue;

catalogue! {
    /// Knowledge-base articles and call scripts.
    KbMsg {
        KeyShape {} = "kb_key_shape",
            en "an article key starts with a-z or 0-9 and contains only a-z, 0-9, _ and - (at most 64)",
            ru "ключ статьи начинается с латинской буквы или цифры и содержит только a-z, 0-9, _ и - (не больше 64)";
        KeyTaken { key: String } = "kb_key_taken",
            en "an article with key '{key}' already exists", ru "статья с ключом «{key}» уже есть";
        KeyTwice { key: String } = "kb_key_twice",
            en "article key '{key}' is listed twice", ru "ключ статьи «{key}» указан дважды";
        LinkShape { link: String } = "kb_link_shape",
            en "'{link}' is not a link: write stage:<key>, rule:<key>, entry_task:<stage key> or template:<key>",
            ru "«{link}» — не ссылка: пишите stage:<ключ>, rule:<ключ>, entry_task:<ключ этапа> или template:<ключ>";
        LinkUnknown { link: String } = "kb_link_unknown",
            en "'{link}' names nothing in this workspace: pick a stage, rule or template from the list",
            ru "«{link}» не найдено в этом пространстве: выберите этап, правило или шаблон из списка";
        KindUnknown { kind: String } = "kb_kind_unknown",
            en "'{kind}' is not an article kind (article or script)", ru "«{kind}» — не вид статьи (article или script)";
        EditorsOnly {} = "kb_editors_only",
            en "only administrators and heads of sales edit the knowledge base",
            ru "базу знаний редактируют только администраторы и руководители отдела продаж";
        VersionMissing { n: i64 } = "kb_version_missing",
            en "the article has no version {n}", ru "у статьи нет версии {n}";
        Saved {} = "kb_saved", en "The article is saved", ru "Статья сохранена";
        Restored { n: i64 } = "kb_restored",
            en "Version {n} is restored as the current text", ru "Версия {n} восстановлена как текущий текст";
    }
}
