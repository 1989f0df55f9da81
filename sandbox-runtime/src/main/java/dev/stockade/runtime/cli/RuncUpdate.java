package dev.stockade.runtime.cli;

import dev.stockade.runtime.spec.ResourceUpdate;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * runc's {@code update} command line: {@code [global options] update [options] <container-id>}.
 * Every update option but --help takes a value ({@code --name value}, {@code --name=value}, one
 * dash or two, as urfave/cli parses them); {@code --resources}/{@code -r} names the resources file, or {@code -}
 * for standard input.
 *
 * @param globalArguments the arguments before {@code update}, passed on unchanged (--root, --log…)
 * @param options         the update options other than --resources, in order
 * @param resources       the --resources value, if given
 * @param operands        what follows the options: runc takes exactly one, the container id
 */
public record RuncUpdate(List<String> globalArguments, List<ResourceUpdate.Option> options, Optional<String> resources,
                         List<String> operands) {

    /** {@code command}'s arguments, its subcommand being update. */
    public static RuncUpdate parse(RuncCommandLine command) {
        List<String> arguments = command.arguments();
        int index = command.subcommandIndex();
        List<ResourceUpdate.Option> options = new ArrayList<>();
        Optional<String> resources = Optional.empty();
        index++;
        while (index < arguments.size() && arguments.get(index).startsWith("-") && !arguments.get(index).equals("-")) {
            String argument = arguments.get(index++);
            if (argument.equals("--")) {
                break;
            }
            RuncCommandLine.Flag flag = RuncCommandLine.Flag.of(argument);
            String name = flag.name();
            boolean help = name.equals("h") || name.equals("help");
            String value = flag.inlineValue() != null ? flag.inlineValue() : help ? "" : index < arguments.size() ? arguments.get(index++) : "";
            if (name.equals("resources") || name.equals("r")) {
                resources = Optional.of(value);
            } else {
                options.add(new ResourceUpdate.Option(name, value));
            }
        }
        return new RuncUpdate(arguments.subList(0, command.subcommandIndex()), List.copyOf(options), resources,
                List.copyOf(arguments.subList(index, arguments.size())));
    }
}
