# Editors check a draft against its kind's schema plus the `draft` block.
# Draft-07 cannot extend a closed schema (`additionalProperties: false`),
# so the two draft schemas are made here from schemas/, which stays the one
# source of truth. They are for editors only: ferry checks drafts itself.
set(FERRY_DRAFT_SCHEMAS "")
foreach(kind model sync)
  file(READ ${PROJECT_SOURCE_DIR}/schemas/${kind}.schema.json body)
  file(READ ${PROJECT_SOURCE_DIR}/schemas/draft.schema.json block)
  string(JSON block REMOVE "${block}" "$schema")
  string(JSON block REMOVE "${block}" "$id")
  string(JSON body SET "${body}" properties draft "${block}")
  string(JSON required_count LENGTH "${body}" required)
  string(JSON body SET "${body}" required ${required_count} "\"draft\"")
  string(JSON body SET "${body}" "$id" "\"https://ferry.dev/schemas/draft-${kind}.schema.json\"")
  string(JSON body SET "${body}" title "\"ferry draft of a ${kind} (drafts/${kind}s/<id>.yaml)\"")
  string(JSON body SET "${body}" description
         "\"A whole ${kind} plus its `draft` block: ${kind}.schema.json and draft.schema.json in one.\"")
  set(out ${PROJECT_BINARY_DIR}/schemas/draft-${kind}.schema.json)
  # Copied only when it changed, so that nothing is rebuilt for nothing.
  file(WRITE ${PROJECT_BINARY_DIR}/CMakeFiles/draft-${kind}.schema.json "${body}\n")
  configure_file(${PROJECT_BINARY_DIR}/CMakeFiles/draft-${kind}.schema.json ${out} COPYONLY)
  list(APPEND FERRY_DRAFT_SCHEMAS ${out})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS schemas/draft.schema.json)
