% if errors:
<table id="import-errors">
  <tr><th>{{_('Line')}}</th><th>{{_('Column')}}</th><th>{{_('Problem')}}</th></tr>
  % for e in errors:
  <tr><td class="num">{{e.line}}</td><td>{{e.column}} {{'(' + e.header + ')' if e.header else ''}}</td><td>{{words.problem(_, e)}}</td></tr>
  % end
</table>
% end
% if report:
<p class="flash ok" id="import-report">
  {{get('filename', '')}}: {{_('{rows} rows, {created} created, {updated} updated.').format(rows=report['rows'], created=report['created'], updated=report['updated'])}}
  % if report.get('dry_run'):
  {{_('Trial run only: nothing was saved.')}}
  % end
</p>
% end
