# find_package(OssAppend) for an oss-append installed by scripts/install-c.sh: the imported targets
# OssAppend::oss_append (shared library) and OssAppend::oss_append_static, with the headers
# oss_append.h (C) and oss_append.hpp (C++17).
include(CMakeFindDependencyMacro)
find_dependency(Threads)

get_filename_component(_oss_append_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET OssAppend::oss_append)
  add_library(OssAppend::oss_append SHARED IMPORTED)
  set_target_properties(OssAppend::oss_append PROPERTIES
    IMPORTED_LOCATION "${_oss_append_prefix}/lib/liboss_append.so"
    # The library has no soname: it is linked by name (-loss_append), found by its folder.
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${_oss_append_prefix}/include"
    INTERFACE_LINK_DIRECTORIES "${_oss_append_prefix}/lib"
    INTERFACE_LINK_OPTIONS "LINKER:-rpath,${_oss_append_prefix}/lib")
endif()

if(NOT TARGET OssAppend::oss_append_static)
  add_library(OssAppend::oss_append_static STATIC IMPORTED)
  set_target_properties(OssAppend::oss_append_static PROPERTIES
    IMPORTED_LOCATION "${_oss_append_prefix}/lib/liboss_append.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_oss_append_prefix}/include"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m")
endif()

set(OssAppend_INCLUDE_DIRS "${_oss_append_prefix}/include")
set(OssAppend_LIBRARIES OssAppend::oss_append)
unset(_oss_append_prefix)
