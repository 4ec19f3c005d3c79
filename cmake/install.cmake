# Installing ferry (GNUInstallDirs) and packaging it as a .deb (CPack).
#
#   cmake --install build --prefix P   P/bin/ferry, P/share/ferry/schemas/,
#                                      P/share/man/man1/ferry.1, P/share/doc/ferry/
#   cd build && cpack -G DEB           ferry_<version>_<arch>.deb
#
# Configure with -DCMAKE_INSTALL_PREFIX=/usr before making a .deb: the
# package installs under the configured prefix.

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
