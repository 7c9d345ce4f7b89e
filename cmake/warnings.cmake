# One place for the warning set every target of the project gets.
add_library(shmifd_warnings INTERFACE)
target_compile_options(shmifd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  $<$<BOOL:${SHMIFD_WERROR}>:-Werror>)
# C sources get the subset that means something in C.
add_library(shmifd_warnings_c INTERFACE)
target_compile_options(shmifd_warnings_c INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wformat=2
  $<$<BOOL:${SHMIFD_WERROR}>:-Werror>)
