// Text from a workspace, a commit or a plan file, made safe for the format
// it is printed in: it renders as the text it is, and can neither move the
// terminal's cursor nor add markup, mentions, links or fake lines. Private to
// render/, the one place that knows the format.
#pragma once

#include <string>
#include <string_view>

namespace ferry::escape {

// For a terminal and for logs: control characters (C0, DEL, C1), and the
// Unicode marks that reorder or hide text (bidi overrides and isolates,
// zero-width characters), written as visible escapes (`\n`, `\x1b`,
// `\u202e`). Bytes that are not UTF-8 are shown as `\xff`.
std::string visible(std::string_view text);

// A whole line of text output whose start comes from a workspace (a line
// of a query in a diff): visible(), and never a line a CI runner reads as
// a workflow command (`::warning::` after any indentation, `##[` anywhere).
std::string line(std::string_view text);

// Markdown text in the middle of a line (a list item after its marker):
// visible(), then whatever markdown or GitHub would read as markup made
// text: emphasis, code, links and images escaped, HTML as entities, and
// `@name`, `#123` and URLs broken with a word joiner (U+2060) so that they
// mention no one and link nothing.
std::string markdown(std::string_view text);

// `text` with each `_` that is not inside a word escaped: the one markup
// that text made of [a-z0-9_-], spaces and punctuation could hold.
std::string underscores(std::string_view text);

// A markdown code span holding `text` literally: fenced with more backticks
// than any run inside it.
std::string code_span(std::string_view text);

// The fence for a fenced code block holding `body`: at least three
// backticks, and more than any run of backticks in `body`.
std::string fence_for(std::string_view body);

}  // namespace ferry::escape
