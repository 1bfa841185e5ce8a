# isms_service_routes(<library> <common library> [<extra compile options>...])
# A static library holding every service's handlers (all its sources but
# main.c) and its route table (service_routes.c, once per service), linked
# against the given build of the common library. The source lists come
# from the service targets (services/CMakeLists.txt), so they follow it.
function(isms_service_routes lib common)
  set(here ${PROJECT_SOURCE_DIR}/tests/hostile)
  set(sources ${here}/services.c)
  set(names "")
  set(xlist "")
  foreach(name auth assets risks controls audits)
    if(NOT TARGET isms-${name})
      continue()
    endif()
    get_target_property(srcs isms-${name} SOURCES)
    foreach(src ${srcs})
      if(src MATCHES "(^|/)main\\.c$")
        set(main ${PROJECT_SOURCE_DIR}/services/${src})
      else()
        list(APPEND sources ${PROJECT_SOURCE_DIR}/services/${src})
      endif()
    endforeach()
    # The wrapper compiled for this service: a copy per service, since one
    # source file cannot carry different definitions in one target.
    set(wrapper ${CMAKE_CURRENT_BINARY_DIR}/${lib}_routes_${name}.c)
    configure_file(${here}/service_routes.c ${wrapper} COPYONLY)
    set_source_files_properties(${wrapper} PROPERTIES
      COMPILE_DEFINITIONS
      "SERVICE_MAIN=\"${main}\";SERVICE_ROUTES=isms_routes_${name};SERVICE_ROUTES_MAIN=isms_main_${name}"
      INCLUDE_DIRECTORIES ${PROJECT_SOURCE_DIR}/services/${name})
    list(APPEND sources ${wrapper})
    string(APPEND xlist "X(${name}) ")
  endforeach()
  add_library(${lib} STATIC ${sources})
  target_include_directories(${lib} PUBLIC ${here})
  target_compile_definitions(${lib} PRIVATE "ISMS_SERVICES=${xlist}")
  target_compile_options(${lib} PRIVATE ${ARGN})
  target_link_libraries(${lib} PUBLIC ${common})
endfunction()
