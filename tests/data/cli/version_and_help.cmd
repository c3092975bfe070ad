# eql --version: the CMake project version (the commit after it is cut here); eql help COMMAND.
"$EQL" --version | sed -E 's/ \(git [^)]*\)$//'
"$EQL" help parse | head -2
"$EQL" help validate | head -1
"$EQL" help run | head -1
"$EQL" help nosuch
"$EQL" help query shell
"$EQL" nosuch
