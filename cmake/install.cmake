# Installing ferry (GNUInstallDirs) and packaging it as a .deb (CPack).
#
#   cmake --install build --prefix P   P/bin/ferry, P/share/ferry/schemas/,
#                                      P/share/man/man1/ferry.1, P/share/doc/ferry/
#   cd build && cpack -G DEB           ferry_<version>_<arch>.deb
#
# The schema comment of every YAML file ferry writes names the schemas'
# folder chosen here at configure time (FERRY_SCHEMA_BASE_RESOLVED), so the
# package is installed where the binary says: configure with
# -DCMAKE_INSTALL_PREFIX=/usr before making a .deb.

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

install(TARGETS ferry RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
list(TRANSFORM FERRY_SCHEMAS PREPEND ${PROJECT_SOURCE_DIR}/schemas/ OUTPUT_VARIABLE schema_files)
install(FILES ${schema_files} ${FERRY_DRAFT_SCHEMAS} DESTINATION ${CMAKE_INSTALL_DATADIR}/ferry/schemas)
# Connector schemas keep their folders: editors (and organizations copying
# one to override it) find them as connectors/KIND/TYPE.schema.json.
foreach(schema IN LISTS FERRY_CONNECTOR_SCHEMAS)
  get_filename_component(folder ${schema} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/schemas/${schema} DESTINATION ${CMAKE_INSTALL_DATADIR}/ferry/schemas/${folder})
endforeach()
configure_file(man/ferry.1.in ${PROJECT_BINARY_DIR}/ferry.1 @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ferry.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES README.md ARCHITECTURE.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
if(EXISTS ${PROJECT_SOURCE_DIR}/docs)
  install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
endif()
install(DIRECTORY samples DESTINATION ${CMAKE_INSTALL_DOCDIR} USE_SOURCE_PERMISSIONS)

set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "promote data-activation configuration between workspaces kept in git")
set(CPACK_PACKAGE_DESCRIPTION
    "ferry reads workspaces of sources, models, destinations and syncs from git commits, checks them, shows the exact diff of a deployment between environments and writes it as one commit.")
set(CPACK_PACKAGE_CONTACT "ferry maintainers <ferry@localhost>" CACHE STRING "Maintainer of the .deb")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_STRIP_FILES ON)  # debug information stays in the build
# Library dependencies as dpkg-shlibdeps finds them (libgit2-1.5, libyaml-0-2,
# libyaml-cpp0.7, libspdlog1.10, libfmt9, ...), so they follow the build.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_GENERATOR DEB)
include(CPack)
