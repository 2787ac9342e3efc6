// The resnet-lesion executable: everything lives in the LesionCLI library.
import Foundation
import LesionCLI

exit(LesionProgram.main(Array(CommandLine.arguments.dropFirst())))
