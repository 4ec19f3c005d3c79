#include "ferry/write/deployment.hpp"

#include "ferry/model/linking.hpp"
#include "ferry/util/parallel.hpp"
#include "ferry/write/files.hpp"

namespace ferry {
namespace {

// The path a resource of T already has (x.yml stays x.yml), else x.yaml.
std::string resource_path(const Resource* existing, Kind kind, const std::string& id, bool draft, const Workspace& ws) {
    if (existing) {
        std::string prefix = ws.root.empty() ? "" : ws.root + "/";
        return existing->file.substr(prefix.size());
    }
    return std::string(draft ? "drafts/" : "") + std::string(kind_name(kind)) + "/" + id + ".yaml";
}

}  // namespace

std::vector<git::FileChange> deployment_files(const Plan& plan, const Workspace& target) {
    // Every core takes a share of the emitting, and the files are listed
    // in the plan's order as before.
    std::vector<std::string> texts(plan.changes.size());
    util::parallel_for(
        plan.changes.size(),
        [&](std::size_t i) { texts[i] = resource_yaml(plan.changes[i].kind, plan.changes[i].after); },
        plan.changes.size() >= 64 ? 0 : 1);
    std::vector<git::FileChange> files;
    for (std::size_t i = 0; i < plan.changes.size(); ++i) {
        const Change& c = plan.changes[i];
        const Resource* published = target.find(c.kind, c.id);
        const Resource* draft = target.find_draft(c.kind, c.id);
        std::string text = std::move(texts[i]);
        if (c.mode == Mode::publish) {
            files.push_back({resource_path(published, c.kind, c.id, false, target), std::move(text)});
            // SPEC 3.2: a deployment replaces any draft of what it writes.
            if (draft) files.push_back({resource_path(draft, c.kind, c.id, true, target), std::nullopt});
        } else {
            // A draft: the published file is left untouched.
            files.push_back({resource_path(draft, c.kind, c.id, true, target), std::move(text)});
        }
    }
    if (!plan.links.empty()) {
        std::vector<NewLink> added;
        for (const PlannedLink& l : plan.links)
            added.push_back({l.kind, l.target_id, l.source_id});
        files.push_back({"links.yaml", links_yaml(with_links(target.links, plan.from.workspace, added))});
    }
    return files;
}

std::string deployment_message(const Plan& plan, const std::string& summary_line) {
    std::string message = summary_line.empty()
                              ? "Deploy " + plan.from.workspace + "@" + plan.from.commit.substr(0, 12) + " to " +
                                    plan.to.workspace + ": " + std::to_string(plan.count(Action::create)) +
                                    " created, " + std::to_string(plan.count(Action::update)) + " updated"
                              : summary_line;
    message += "\n\n";
    for (Action action : {Action::create, Action::update}) {
        bool any = false;
        for (const Change& c : plan.changes) {
            if (c.action != action) continue;
            if (!any) message += action == Action::create ? "Created:\n" : "Updated:\n";
            any = true;
            message += "- " + address(plan.to.workspace, c.kind, c.id) + " from " +
                       address(plan.from.workspace, c.kind, c.origin_id) + (c.mode == Mode::draft ? " (draft)" : "") +
                       "\n";
        }
        if (any) message += "\n";
    }
    if (!plan.links.empty()) {
        message += "Linked:\n";
        for (const PlannedLink& l : plan.links) {
            message += "- " + address(plan.to.workspace, l.kind, l.target_id) + " <-> " +
                       address(plan.from.workspace, l.kind, l.source_id) + "\n";
        }
        message += "\n";
    }
    if (!plan.drafts_replaced.empty()) {
        message += "Drafts replaced:\n";
        for (const std::string& d : plan.drafts_replaced)
            message += "- " + d + "\n";
        message += "\n";
    }
    // The transaction adds the trailers after one blank line.
    while (message.ends_with('\n'))
        message.pop_back();
    return message;
}

Write deployment_write(const Plan& plan, const Workspace& target, git::CommitTarget& repository,
                       const std::string& summary_line) {
    Write w{plan.to.workspace,
            &repository,
            plan.to.ref,
            plan.to.commit,
            {},
            deployment_message(plan, summary_line),
            plan.from.workspace + "@" + plan.from.commit};
    for (auto& f : deployment_files(plan, target))
        w.files.push_back({target.file(f.path), std::move(f.content)});
    return w;
}

}  // namespace ferry
